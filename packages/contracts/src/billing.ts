import { defineEvent } from '@hsg/kit/events';
import { z } from 'zod';
import { money } from './doctor.ts';

export const billingTopic = 'billing.events';

export const invoiceStatus = z.enum(['ISSUED', 'PARTIALLY_PAID', 'PAID', 'VOID']);
export type InvoiceStatus = z.infer<typeof invoiceStatus>;

export const paymentMethod = z.enum(['CARD', 'CASH', 'BANK_TRANSFER', 'INSURANCE']);
export type PaymentMethod = z.infer<typeof paymentMethod>;

/** A patient's billing account (exactly one per patient). */
export const billingAccountSnapshot = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  accountNumber: z.string(),
  openedAt: z.iso.datetime({ offset: true }),
});
export type BillingAccountSnapshot = z.infer<typeof billingAccountSnapshot>;

export const invoiceLine = z.object({
  description: z.string(),
  quantity: z.number().int().positive(),
  unitPrice: money,
  amount: money,
});
export type InvoiceLine = z.infer<typeof invoiceLine>;

/** The invoice as it stands after the change; `paid` and `total` are in the invoice's one currency. */
export const invoiceSnapshot = z.object({
  id: z.uuid(),
  number: z.string(),
  accountId: z.uuid(),
  patientId: z.uuid(),
  appointmentId: z.uuid().nullable(),
  lines: z.array(invoiceLine),
  total: money,
  paid: money,
  status: invoiceStatus,
  issuedAt: z.iso.datetime({ offset: true }),
  dueDate: z.iso.date(),
  voidReason: z.string().nullable(),
  version: z.number().int().positive(),
});
export type InvoiceSnapshot = z.infer<typeof invoiceSnapshot>;

/** A payment as recorded (its idempotency key stays in billing: it is the caller's, not a fact). */
export const paymentSnapshot = z.object({
  id: z.uuid(),
  invoiceId: z.uuid(),
  amount: money,
  method: paymentMethod,
  receivedAt: z.iso.datetime({ offset: true }),
});
export type PaymentSnapshot = z.infer<typeof paymentSnapshot>;

export const billingAccountOpened = defineEvent({
  type: 'billing.account_opened',
  topic: billingTopic,
  data: z.object({ account: billingAccountSnapshot }),
});

export const invoiceIssued = defineEvent({
  type: 'invoice.issued',
  topic: billingTopic,
  data: z.object({ invoice: invoiceSnapshot }),
});

export const paymentReceived = defineEvent({
  type: 'payment.received',
  topic: billingTopic,
  data: z.object({ payment: paymentSnapshot, invoice: invoiceSnapshot }),
});

export const invoicePaid = defineEvent({
  type: 'invoice.paid',
  topic: billingTopic,
  data: z.object({ invoice: invoiceSnapshot }),
});

export const invoiceVoided = defineEvent({
  type: 'invoice.voided',
  topic: billingTopic,
  data: z.object({ invoice: invoiceSnapshot }),
});
