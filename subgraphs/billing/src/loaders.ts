import { loaderMemo } from '@hsg/kit/runtime';
import DataLoader from 'dataloader';
import { type BillingDomain, pageArgs } from './domain.ts';
import type {
  BillingAccount,
  Invoice,
  InvoiceFilter,
  InvoicePage,
  Money,
  Payment,
  Visibility,
} from './model.ts';

export interface ConnectionArgs {
  filter?: InvoiceFilter | null;
  first: number;
  after?: string | null;
}

/** A loader of one object per key, by a field of the objects found (keys compare in lower case). */
function byKey<T>(find: (keys: readonly string[]) => Promise<T[]>, keyOf: (item: T) => string, fold = true) {
  return new DataLoader<string, T | undefined>(async (keys) => {
    const found = new Map((await find(keys)).map((item) => [keyOf(item), item]));
    return keys.map((key) => found.get(fold ? key.toLowerCase() : key));
  });
}

/**
 * Per-request batching: every lookup of one kind in a request is one domain (store) call, whatever the
 * number of parents. Objects by id or number are not narrowed (the types' policy refuses another
 * patient's: FORBIDDEN, and the policies load through these too); lists hold only what `visible` allows.
 */
export function createRequestLoaders(domain: BillingDomain, visible: Visibility) {
  const memoized = loaderMemo();

  return {
    account: byKey<BillingAccount>(domain.accountsByIds, (account) => account.id),
    accountOfPatient: byKey<BillingAccount>(domain.accountsByPatients, (account) => account.patientId),
    invoice: byKey<Invoice>(domain.invoicesByIds, (invoice) => invoice.id),
    invoiceByNumber: byKey<Invoice>(domain.invoicesByNumbers, (invoice) => invoice.number, false),
    invoiceOfAppointment: byKey<Invoice>(
      domain.invoicesByAppointments,
      (invoice) => invoice.appointmentId ?? '',
    ),
    payments: new DataLoader<string, Payment[]>(async (invoiceIds) => {
      const payments = await domain.paymentsByInvoices(invoiceIds);
      return invoiceIds.map((id) => payments.filter((payment) => payment.invoiceId === id.toLowerCase()));
    }),
    balance: new DataLoader<string, Money[]>(async (accountIds) => {
      const balances = await domain.balances(accountIds);
      return accountIds.map((id) => balances.get(id.toLowerCase()) ?? []);
    }),
    /** Invoices per patient, per distinct argument set. */
    invoicesOfPatient(args: ConnectionArgs): DataLoader<string, InvoicePage> {
      const page = pageArgs(args.first, args.after); // validated before batching: one bad argument, one error
      return memoized(
        JSON.stringify(['pages', args.filter ?? {}, args.first, args.after ?? null]),
        () => new DataLoader((patientIds) => domain.listByPatients(patientIds, args.filter, page, visible)),
      );
    },
    countsOfPatient(filter: InvoiceFilter | null | undefined): DataLoader<string, number> {
      return memoized(
        JSON.stringify(['counts', filter ?? {}]),
        () => new DataLoader((patientIds) => domain.countByPatients(patientIds, filter, visible)),
      );
    },
  };
}

export type RequestLoaders = ReturnType<typeof createRequestLoaders>;
