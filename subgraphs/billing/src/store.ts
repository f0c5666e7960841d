import type { OutgoingEvent } from '@hsg/kit/events';
import type {
  BillingAccount,
  Invoice,
  InvoicePage,
  Money,
  PageArgs,
  Payment,
  PaymentMethod,
  VisibleFilter,
} from './model.ts';

export interface PaymentRequest {
  invoiceId: string;
  amount: Money;
  method: PaymentMethod;
  idempotencyKey: string;
}

/** What a payment decided: the earlier payment of the same request, or a new one with its events. */
export type PaymentDecision =
  | { replay: Payment }
  | { payment: Payment; next: Invoice; events: OutgoingEvent[] };

/** What a change of an invoice decided: the new state and its events. */
export interface InvoiceDecision {
  next: Invoice;
  events: OutgoingEvent[];
}

/**
 * Where accounts, invoices and payments live (the event consumer in ledger.ts writes accounts and
 * invoices; this serves the API). Lookups take many ids at once so a request makes one call per entity
 * type. Writes run their decision inside the transaction that holds the invoice row FOR UPDATE, then
 * commit the change and its events together (the outbox). Implementation: SQL on Postgres and PGlite.
 */
export interface BillingStore {
  accountsByIds(ids: readonly string[]): Promise<BillingAccount[]>;
  accountsByPatients(patientIds: readonly string[]): Promise<BillingAccount[]>;
  invoicesByIds(ids: readonly string[]): Promise<Invoice[]>;
  invoicesByNumbers(numbers: readonly string[]): Promise<Invoice[]>;
  invoicesByAppointments(appointmentIds: readonly string[]): Promise<Invoice[]>;
  /** The lists and counts hold only what the filter (the caller's visibility included) lets through. */
  listInvoices(filter: VisibleFilter, page: PageArgs): Promise<InvoicePage>;
  countInvoices(filter: VisibleFilter): Promise<number>;
  /** One page per patient, every patient in one call. */
  listInvoicesByPatients(
    patientIds: readonly string[],
    filter: VisibleFilter,
    page: PageArgs,
  ): Promise<Map<string, InvoicePage>>;
  countInvoicesByPatients(patientIds: readonly string[], filter: VisibleFilter): Promise<Map<string, number>>;
  /** Every payment of these invoices, oldest first. */
  paymentsByInvoices(invoiceIds: readonly string[]): Promise<Payment[]>;
  /** Per account, what its open invoices still owe, per currency (none when nothing is owed). */
  balances(accountIds: readonly string[]): Promise<Map<string, Money[]>>;
  /**
   * `decide` gets the invoice (locked FOR UPDATE; undefined when there is none) and the payment made
   * earlier with the request's idempotency key, if any; it throws to refuse, and nothing is written.
   */
  pay(
    request: PaymentRequest,
    decide: (invoice: Invoice | undefined, earlier: Payment | undefined) => PaymentDecision,
  ): Promise<{ payment: Payment; invoice: Invoice | undefined }>;
  /** Undefined when there is no such invoice; `decide` (given it locked) throws to refuse. */
  changeInvoice(id: string, decide: (current: Invoice) => InvoiceDecision): Promise<Invoice | undefined>;
}
