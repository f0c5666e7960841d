import { invoicePaid, invoiceVoided, paymentReceived } from '@hsg/contracts';
import { isUuid, notFound, staleVersion } from '@hsg/kit';
import { auditedWrite, type RequestAudit } from '@hsg/kit/audit';
import { cursorCodec, validPageSize } from '@hsg/kit/graphql';
import { v7 as uuidv7 } from 'uuid';
import { billingEvent } from './ledger.ts';
import {
  type BillingAccount,
  emptyPage,
  type Invoice,
  type InvoiceCursor,
  type InvoiceFilter,
  type InvoicePage,
  type Money,
  type PageArgs,
  type Payment,
  toInvoiceSnapshot,
  type Visibility,
  type VisibleFilter,
} from './model.ts';
import {
  assertPayable,
  assertVoidable,
  assertWellFormed,
  keyReused,
  sameRequest,
  validVoidReason,
} from './rules.ts';
import type { BillingStore, PaymentRequest } from './store.ts';

/** Who caused a change: its trace context goes into the events, its audit record into the same commit. */
export interface ChangeContext {
  traceparent?: string | undefined;
  audit?: RequestAudit | undefined;
}

const lower = (ids: readonly string[]) => ids.filter(isUuid).map((id) => id.toLowerCase());

/** The filter narrowed to what the caller may see; undefined when that is nothing (no query needed). */
function narrow(filter: VisibleFilter | null | undefined, visible: Visibility): VisibleFilter | undefined {
  if (visible === 'none') return undefined;
  if (filter?.patientId !== undefined && filter.patientId !== null && !isUuid(filter.patientId))
    return undefined;
  const asked = { ...filter, ...(filter?.patientId ? { patientId: filter.patientId.toLowerCase() } : {}) };
  if (visible === 'all') return asked;
  if (asked.patientId !== undefined && asked.patientId !== visible.patientId) return undefined;
  return { ...asked, patientId: visible.patientId };
}

export interface BillingDomainOptions {
  store: BillingStore;
  clock?: () => Date;
}

/** Billing's use cases: reads, payments and voids with their events. Resolvers only call these. */
export function createBillingDomain({ store, clock = () => new Date() }: BillingDomainOptions) {
  return {
    accountsByIds: (ids: readonly string[]): Promise<BillingAccount[]> => store.accountsByIds(lower(ids)),
    accountsByPatients: (ids: readonly string[]): Promise<BillingAccount[]> =>
      store.accountsByPatients(lower(ids)),
    invoicesByIds: (ids: readonly string[]): Promise<Invoice[]> => store.invoicesByIds(lower(ids)),
    invoicesByNumbers: (numbers: readonly string[]): Promise<Invoice[]> => store.invoicesByNumbers(numbers),
    invoicesByAppointments: (ids: readonly string[]): Promise<Invoice[]> =>
      store.invoicesByAppointments(lower(ids)),
    paymentsByInvoices: (ids: readonly string[]): Promise<Payment[]> => store.paymentsByInvoices(lower(ids)),
    balances: (accountIds: readonly string[]): Promise<Map<string, Money[]>> =>
      store.balances(lower(accountIds)),

    async list(
      filter: VisibleFilter | null | undefined,
      page: PageArgs,
      visible: Visibility,
    ): Promise<InvoicePage> {
      const narrowed = narrow(filter, visible);
      return narrowed ? store.listInvoices(narrowed, page) : emptyPage;
    },

    async count(filter: VisibleFilter | null | undefined, visible: Visibility): Promise<number> {
      const narrowed = narrow(filter, visible);
      return narrowed ? store.countInvoices(narrowed) : 0;
    },

    /** One page per patient, in the order given, of what `visible` lets through. */
    async listByPatients(
      patientIds: readonly string[],
      filter: InvoiceFilter | null | undefined,
      page: PageArgs,
      visible: Visibility,
    ): Promise<InvoicePage[]> {
      const narrowed = narrow(filter, visible);
      const pages = narrowed
        ? await store.listInvoicesByPatients(lower(patientIds), narrowed, page)
        : new Map();
      return patientIds.map((id) => pages.get(id.toLowerCase()) ?? emptyPage);
    },

    async countByPatients(
      patientIds: readonly string[],
      filter: InvoiceFilter | null | undefined,
      visible: Visibility,
    ): Promise<number[]> {
      const narrowed = narrow(filter, visible);
      const counts = narrowed
        ? await store.countInvoicesByPatients(lower(patientIds), narrowed)
        : new Map<string, number>();
      return patientIds.map((id) => counts.get(id.toLowerCase()) ?? 0);
    },

    /**
     * Pays (part of) an invoice, once per idempotency key: the same request again answers the first
     * payment and writes nothing; the key with another request is CONFLICT. Checked on the locked
     * invoice, so concurrent payments never together exceed its total.
     */
    async pay(input: PaymentRequest, context: ChangeContext = {}): Promise<Payment> {
      assertWellFormed(input);
      if (!isUuid(input.invoiceId)) throw notFound(`No invoice with id ${input.invoiceId}`);
      const request = { ...input, invoiceId: input.invoiceId.toLowerCase() };
      const { payment } = await store.pay(request, (invoice, earlier) => {
        if (earlier) {
          if (!sameRequest(earlier, request)) throw keyReused();
          return { replay: earlier };
        }
        if (!invoice) throw notFound(`No invoice with id ${input.invoiceId}`);
        assertPayable(invoice, request.amount);
        const receivedAt = clock();
        const payment: Payment = {
          id: uuidv7(),
          invoiceId: invoice.id,
          patientId: invoice.patientId,
          amount: request.amount,
          method: request.method,
          idempotencyKey: request.idempotencyKey,
          receivedAt,
        };
        const paidAmount = invoice.paid.amount + request.amount.amount;
        const next: Invoice = {
          ...invoice,
          paid: { amount: paidAmount, currency: invoice.total.currency },
          status: paidAmount >= invoice.total.amount ? 'PAID' : 'PARTIALLY_PAID',
          version: invoice.version + 1,
        };
        const cause = { traceparent: context.traceparent };
        const snapshot = toInvoiceSnapshot(next);
        const paymentSnapshot = {
          id: payment.id,
          invoiceId: payment.invoiceId,
          amount: payment.amount,
          method: payment.method,
          receivedAt: receivedAt.toISOString(),
        };
        return {
          payment,
          next,
          events: [
            billingEvent(paymentReceived, invoice.id, { payment: paymentSnapshot, invoice: snapshot }, cause),
            ...(next.status === 'PAID'
              ? [billingEvent(invoicePaid, invoice.id, { invoice: snapshot }, cause)]
              : []),
            ...auditedWrite(context, invoice.patientId),
          ],
        };
      });
      return payment;
    },

    /** Voids an invoice nothing was paid on, at the version the caller saw. */
    async void(
      id: string,
      expectedVersion: number,
      reason: string,
      context: ChangeContext = {},
    ): Promise<Invoice> {
      const voidReason = validVoidReason(reason);
      const saved = isUuid(id)
        ? await store.changeInvoice(id.toLowerCase(), (current) => {
            if (current.version !== expectedVersion)
              throw staleVersion('invoice', expectedVersion, current.version);
            assertVoidable(current);
            const next: Invoice = { ...current, status: 'VOID', voidReason, version: current.version + 1 };
            return {
              next,
              events: [
                billingEvent(
                  invoiceVoided,
                  next.id,
                  { invoice: toInvoiceSnapshot(next) },
                  { traceparent: context.traceparent },
                ),
                ...auditedWrite(context, next.patientId),
              ],
            };
          })
        : undefined;
      if (!saved) throw notFound(`No invoice with id ${id}`);
      return saved;
    },
  };
}

export type BillingDomain = ReturnType<typeof createBillingDomain>;

/** Invoices are ordered newest first: by issuedAt, then id, both descending. */
export const invoiceCursor = cursorCodec<InvoiceCursor>(
  (cursor) => [cursor.issuedAt.toISOString(), cursor.id],
  ([issuedAt, id]) => {
    const at = typeof issuedAt === 'string' ? new Date(issuedAt) : undefined;
    return at && !Number.isNaN(at.getTime()) && isUuid(id) ? { issuedAt: at, id } : undefined;
  },
);

/** Validates `first` (1..100) and decodes `after`. */
export function pageArgs(first: number, after: string | null | undefined): PageArgs {
  return { first: validPageSize(first), after: after ? invoiceCursor.decode(after) : undefined };
}
