import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { DateScalar, DateTimeScalar, pageInfoOf } from '@hsg/kit/graphql';
import type { RequestContext } from '@hsg/kit/runtime';
import { type BillingDomain, invoiceCursor, pageArgs } from './domain.ts';
import type { ConnectionArgs, RequestLoaders } from './loaders.ts';
import {
  type BillingAccount,
  type Invoice,
  type InvoicePage,
  outstandingOf,
  type Payment,
  type Visibility,
  type VisibleFilter,
} from './model.ts';
import type { PaymentRequest } from './store.ts';

export interface BillingContext extends RequestContext {
  loaders: RequestLoaders;
  /** Which billing data the caller may see (access.ts): every list is narrowed to it. */
  visible: Visibility;
}

/** totalCount is a function: GraphQL calls it only when the client selected the field. */
function connection(page: InvoicePage, after: string | null | undefined, totalCount: () => Promise<number>) {
  const edges = page.invoices.map((node) => ({ cursor: invoiceCursor.encode(node), node }));
  return { edges, pageInfo: pageInfoOf(edges, page.hasNextPage, after), totalCount };
}

type Parent = { id: string };

const invoicesOfPatient = async (patientId: string, args: ConnectionArgs, { loaders }: BillingContext) =>
  connection(await loaders.invoicesOfPatient(args).load(patientId), args.after, () =>
    loaders.countsOfPatient(args.filter).load(patientId),
  );

/** Thin: arguments in, domain call, shape out. Patient and Appointment are stubs by id (owned elsewhere). */
export function createResolvers(domain: BillingDomain): GraphQLResolverMap<BillingContext> {
  return {
    Date: DateScalar,
    DateTime: DateTimeScalar,
    Query: {
      invoice: (_: unknown, { id }: Parent, { loaders }: BillingContext) => loaders.invoice.load(id),
      invoiceByNumber: (_: unknown, { number }: { number: string }, { loaders }: BillingContext) =>
        loaders.invoiceByNumber.load(number),
      invoices: async (
        _: unknown,
        args: { filter?: VisibleFilter | null; first: number; after?: string | null },
        { visible }: BillingContext,
      ) =>
        connection(
          await domain.list(args.filter, pageArgs(args.first, args.after), visible),
          args.after,
          () => domain.count(args.filter, visible),
        ),
    },
    Mutation: {
      // A change makes what the request's loaders read before it stale (a PATIENT's payInvoice policy
      // loads the invoice first): the answer reads the invoice again.
      payInvoice: async (_: unknown, { input }: { input: PaymentRequest }, context: BillingContext) => {
        const payment = await domain.pay(input, context);
        context.loaders.invoice.clear(payment.invoiceId);
        return payment;
      },
      voidInvoice: async (
        _: unknown,
        args: { id: string; expectedVersion: number; reason: string },
        context: BillingContext,
      ) => {
        const invoice = await domain.void(args.id, args.expectedVersion, args.reason, context);
        context.loaders.invoice.clear(invoice.id).prime(invoice.id, invoice);
        return invoice;
      },
    },
    BillingAccount: {
      __resolveReference: ({ id }: Parent, { loaders }: BillingContext) => loaders.account.load(id),
      patient: (account: BillingAccount) => ({ __typename: 'Patient', id: account.patientId }),
      balance: (account: BillingAccount, _: unknown, { loaders }: BillingContext) =>
        loaders.balance.load(account.id),
      invoices: (account: BillingAccount, args: ConnectionArgs, context: BillingContext) =>
        invoicesOfPatient(account.patientId, args, context),
    },
    Invoice: {
      __resolveReference: ({ id }: Parent, { loaders }: BillingContext) => loaders.invoice.load(id),
      account: async (invoice: Invoice, _: unknown, { loaders }: BillingContext) =>
        loaders.account.load(invoice.accountId),
      patient: (invoice: Invoice) => ({ __typename: 'Patient', id: invoice.patientId }),
      appointment: (invoice: Invoice) =>
        invoice.appointmentId ? { __typename: 'Appointment', id: invoice.appointmentId } : null,
      outstanding: (invoice: Invoice) => outstandingOf(invoice),
      payments: (invoice: Invoice, _: unknown, { loaders }: BillingContext) =>
        loaders.payments.load(invoice.id),
      pdfUrl: (invoice: Invoice) => `/invoices/${invoice.id}/pdf`,
    },
    Payment: {
      invoice: (payment: Payment, _: unknown, { loaders }: BillingContext) =>
        loaders.invoice.load(payment.invoiceId),
      amount: (payment: Payment) => payment.amount,
    },
    Patient: {
      billingAccount: ({ id }: Parent, _: unknown, { loaders }: BillingContext) =>
        loaders.accountOfPatient.load(id),
      invoices: ({ id }: Parent, args: ConnectionArgs, context: BillingContext) =>
        invoicesOfPatient(id, args, context),
    },
    Appointment: {
      invoice: ({ id }: Parent, _: unknown, { loaders }: BillingContext) =>
        loaders.invoiceOfAppointment.load(id),
    },
  };
}
