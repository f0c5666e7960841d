import type { InvoiceLine, InvoiceStatus, PaymentMethod } from '@hsg/contracts';
import type { BillingAccount, Invoice, Payment } from './model.ts';

/** The subgraph's tables as Kysely sees them (migrations/0001_billing.sql). */
export interface AccountRow {
  id: string;
  patient_id: string;
  account_number: string;
  opened_at: Date;
}

export interface InvoiceRow {
  id: string;
  number: string;
  account_id: string;
  patient_id: string;
  appointment_id: string | null;
  lines: InvoiceLine[];
  currency: string;
  total_amount: number;
  paid_amount: number;
  status: InvoiceStatus;
  issued_at: Date;
  /** A date column: the driver may hand a Date or a string (see toInvoice). */
  due_date: string | Date;
  void_reason: string | null;
  version: number;
  updated_at: Date;
}

export interface PaymentRow {
  id: string;
  invoice_id: string;
  patient_id: string;
  amount: number;
  currency: string;
  method: PaymentMethod;
  idempotency_key: string;
  received_at: Date;
}

export interface VisitRow {
  appointment_id: string;
  patient_id: string;
  doctor_id: string;
  outcome: 'COMPLETED' | 'NO_SHOW' | 'CANCELLED';
  billable: boolean;
  invoice_id: string | null;
  recorded_at: Date;
}

export interface Tables {
  accounts: AccountRow;
  invoices: InvoiceRow;
  payments: PaymentRow;
  visits: VisitRow;
  patient_projection: { id: string; name: string; version: number };
  doctor_projection: { id: string; name: string; fee_amount: number; fee_currency: string; version: number };
}

export const invoiceColumns = [
  'id',
  'number',
  'account_id',
  'patient_id',
  'appointment_id',
  'lines',
  'currency',
  'total_amount',
  'paid_amount',
  'status',
  'issued_at',
  'due_date',
  'void_reason',
  'version',
  'updated_at',
] as const;

export const paymentColumns = [
  'id',
  'invoice_id',
  'patient_id',
  'amount',
  'currency',
  'method',
  'idempotency_key',
  'received_at',
] as const;

const isoDate = (value: string | Date): string =>
  typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);

export const toInvoice = (row: InvoiceRow): Invoice => ({
  id: row.id,
  number: row.number,
  accountId: row.account_id,
  patientId: row.patient_id,
  appointmentId: row.appointment_id,
  lines: typeof row.lines === 'string' ? JSON.parse(row.lines) : row.lines,
  total: { amount: Number(row.total_amount), currency: row.currency },
  paid: { amount: Number(row.paid_amount), currency: row.currency },
  status: row.status,
  issuedAt: row.issued_at,
  dueDate: isoDate(row.due_date),
  voidReason: row.void_reason,
  version: row.version,
});

export const toPayment = (row: PaymentRow): Payment => ({
  id: row.id,
  invoiceId: row.invoice_id,
  patientId: row.patient_id,
  amount: { amount: Number(row.amount), currency: row.currency },
  method: row.method,
  idempotencyKey: row.idempotency_key,
  receivedAt: row.received_at,
});

export const toAccount = (row: AccountRow & { holder_name: string | null }): BillingAccount => ({
  id: row.id,
  patientId: row.patient_id,
  accountNumber: row.account_number,
  openedAt: row.opened_at,
  holderName: row.holder_name,
});
