import type { InvoiceLine, InvoiceSnapshot, InvoiceStatus, Money, PaymentMethod } from '@hsg/contracts';

export type { InvoiceLine, InvoiceStatus, Money, PaymentMethod };

export interface BillingAccount {
  id: string;
  patientId: string;
  accountNumber: string;
  openedAt: Date;
  /** The patient's name as billing last heard it (for the bill-to line); null if never heard. */
  holderName: string | null;
}

export interface Invoice {
  id: string;
  number: string;
  accountId: string;
  patientId: string;
  appointmentId: string | null;
  lines: InvoiceLine[];
  total: Money;
  paid: Money;
  status: InvoiceStatus;
  issuedAt: Date;
  /** YYYY-MM-DD. */
  dueDate: string;
  voidReason: string | null;
  version: number;
}

export interface Payment {
  id: string;
  invoiceId: string;
  patientId: string;
  amount: Money;
  method: PaymentMethod;
  idempotencyKey: string;
  receivedAt: Date;
}

export interface InvoiceFilter {
  status?: InvoiceStatus[] | null;
  /** Issued at or after. */
  from?: Date | null;
  /** Issued before. */
  to?: Date | null;
}

/** Which billing data a caller may see (access.ts): all of it, none, or one patient's. */
export type Visibility = 'all' | 'none' | { patientId: string };

/** A filter with the caller's visibility folded in: what the store's lists take. */
export interface VisibleFilter extends InvoiceFilter {
  patientId?: string;
}

/** A position in the newest-first (issuedAt, id) order of invoices. */
export interface InvoiceCursor {
  issuedAt: Date;
  id: string;
}

export interface PageArgs {
  first: number;
  after: InvoiceCursor | undefined;
}

export interface InvoicePage {
  invoices: Invoice[];
  hasNextPage: boolean;
}

export const emptyPage: InvoicePage = { invoices: [], hasNextPage: false };

export const outstandingOf = (invoice: Invoice): Money => ({
  amount: invoice.status === 'VOID' ? 0 : invoice.total.amount - invoice.paid.amount,
  currency: invoice.total.currency,
});

export function toInvoiceSnapshot(invoice: Invoice): InvoiceSnapshot {
  return {
    id: invoice.id,
    number: invoice.number,
    accountId: invoice.accountId,
    patientId: invoice.patientId,
    appointmentId: invoice.appointmentId,
    lines: invoice.lines,
    total: invoice.total,
    paid: invoice.paid,
    status: invoice.status,
    issuedAt: invoice.issuedAt.toISOString(),
    dueDate: invoice.dueDate,
    voidReason: invoice.voidReason,
    version: invoice.version,
  };
}
