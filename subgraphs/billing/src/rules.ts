import { AppError, conflict } from '@hsg/kit';
import type { Invoice, Money, Payment } from './model.ts';
import type { PaymentRequest } from './store.ts';

/**
 * The payment and void rules, each with a stable name clients can branch on (`extensions.rule`); the
 * message says the same in words. Pure: the store hands in the locked invoice.
 */
export type Rule =
  | 'AMOUNT_NOT_POSITIVE'
  | 'CURRENCY_MISMATCH'
  | 'OVERPAYMENT'
  | 'IDEMPOTENCY_KEY_INVALID'
  | 'REASON_REQUIRED'
  | 'REASON_TOO_LONG';

const MAX_KEY_LENGTH = 200;
const MAX_REASON_LENGTH = 500;

export function ruleViolation(rule: Rule, message: string, field: string): AppError {
  return new AppError('BAD_USER_INPUT', `${message} (rule ${rule})`, { details: { rule, field } });
}

/** What can be checked before the invoice is read: the key's length, a positive amount. */
export function assertWellFormed(request: PaymentRequest): void {
  const key = request.idempotencyKey;
  if (key.length < 1 || key.length > MAX_KEY_LENGTH || key.trim().length === 0)
    throw ruleViolation(
      'IDEMPOTENCY_KEY_INVALID',
      `input.idempotencyKey must be 1 to ${MAX_KEY_LENGTH} characters, not only spaces`,
      'input.idempotencyKey',
    );
  if (!Number.isInteger(request.amount.amount) || request.amount.amount <= 0)
    throw ruleViolation(
      'AMOUNT_NOT_POSITIVE',
      'input.amount.amount must be a positive number of minor units',
      'input.amount.amount',
    );
}

/** Whether a payment made with this key was this very request (invoice, amount, currency, method). */
export const sameRequest = (payment: Payment, request: PaymentRequest): boolean =>
  payment.invoiceId === request.invoiceId &&
  payment.amount.amount === request.amount.amount &&
  payment.amount.currency === request.amount.currency &&
  payment.method === request.method;

export function keyReused(): AppError {
  return conflict(
    'input.idempotencyKey was used for a different payment request (rule IDEMPOTENCY_KEY_REUSED)',
    {
      rule: 'IDEMPOTENCY_KEY_REUSED',
      field: 'input.idempotencyKey',
    },
  );
}

/** The locked invoice accepts this amount: not VOID, same currency, at most what is outstanding. */
export function assertPayable(invoice: Invoice, amount: Money): void {
  if (invoice.status === 'VOID')
    throw conflict('the invoice is VOID and takes no payments (rule INVOICE_VOID)', {
      rule: 'INVOICE_VOID',
      status: invoice.status,
    });
  if (amount.currency !== invoice.total.currency)
    throw ruleViolation(
      'CURRENCY_MISMATCH',
      `input.amount.currency must be the invoice's currency, ${invoice.total.currency}`,
      'input.amount.currency',
    );
  const outstanding = invoice.total.amount - invoice.paid.amount;
  if (amount.amount > outstanding)
    throw ruleViolation(
      'OVERPAYMENT',
      `input.amount.amount is more than the ${outstanding} minor units outstanding`,
      'input.amount.amount',
    );
}

/** A void needs a reason: trimmed, 1 to 500 characters. */
export function validVoidReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length === 0) throw ruleViolation('REASON_REQUIRED', 'reason must not be empty', 'reason');
  if (trimmed.length > MAX_REASON_LENGTH)
    throw ruleViolation(
      'REASON_TOO_LONG',
      `reason must be at most ${MAX_REASON_LENGTH} characters`,
      'reason',
    );
  return trimmed;
}

/** Only an invoice nothing was paid on can be voided: refunds are not modelled. */
export function assertVoidable(invoice: Invoice): void {
  if (invoice.status === 'VOID')
    throw conflict('the invoice is VOID already (rule ALREADY_VOID)', {
      rule: 'ALREADY_VOID',
      status: 'VOID',
    });
  if (invoice.paid.amount > 0)
    throw conflict(
      'the invoice has payments and cannot be voided: refunds are not modelled (rule HAS_PAYMENTS)',
      { rule: 'HAS_PAYMENTS', status: invoice.status },
    );
}
