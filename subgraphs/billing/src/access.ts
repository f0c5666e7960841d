import { auditRecorded } from '@hsg/contracts';
import { isUuid } from '@hsg/kit';
import type { AuditDeclaration } from '@hsg/kit/audit';
import type { Policies, Principal } from '@hsg/kit/auth';
import type { Visibility } from './model.ts';
import type { BillingContext } from './resolvers.ts';

/**
 * Who may see and change which billing data (ADR 0016, extended by issue 13): billing staff all of it, a
 * front desk status and amounts (the field scopes in schema.graphql), a patient their own; nobody else
 * anything. The schema names these policies; lists are narrowed to `visibilityOf` in SQL.
 */

/** The patient id a token links, as the store holds ids (a UUID in lower case); else undefined. */
const linked = (id: string | undefined) => (id !== undefined && isUuid(id) ? id.toLowerCase() : undefined);

/** Which billing data a principal may see: what every list of this subgraph is narrowed to. */
export function visibilityOf(principal: Principal | undefined): Visibility {
  if (principal?.role === 'BILLING' || principal?.role === 'FRONT_DESK') return 'all';
  const patientId = principal?.role === 'PATIENT' ? linked(principal.patientId) : undefined;
  return patientId ? { patientId } : 'none';
}

const isVisible = (visible: Visibility, patientId: unknown) =>
  visible === 'all' || (visible !== 'none' && patientId === visible.patientId);

const idOf = (value: unknown) => (value as { id?: unknown } | null)?.id;
const patientOf = (value: unknown) => (value as { patientId?: string }).patientId;

/** The patient of the invoice a request names (through the request's loader, which policies share). */
const patientOfInvoice = async (id: unknown, context: BillingContext) =>
  typeof id === 'string' ? (await context.loaders.invoice.load(id))?.patientId : undefined;

export const billingPolicies: Policies<BillingContext> = {
  /** On BillingAccount, Invoice and Payment: every one any field returns, entities included. */
  'billing.visible': ({ principal, value }) => isVisible(visibilityOf(principal), patientOf(value)),

  /** Patient.billingAccount / invoices: billing staff and a front desk any patient's, a patient their own. */
  'patient.billing': ({ principal, value }) => {
    const id = idOf(value);
    return isVisible(visibilityOf(principal), typeof id === 'string' ? id.toLowerCase() : undefined);
  },

  /** payInvoice: billing staff and a front desk any invoice; a patient their own (or none: NOT_FOUND). */
  'invoice.payable': async ({ principal, args, context }) => {
    const visible = visibilityOf(principal);
    if (visible === 'all') return true;
    const invoiceId = (args.input as { invoiceId?: unknown }).invoiceId;
    const invoice = typeof invoiceId === 'string' ? await context.loaders.invoice.load(invoiceId) : undefined;
    return visible !== 'none' && (invoice === undefined || invoice.patientId === visible.patientId);
  },
};

/**
 * What billing audits (ADR 0017): billing data is patient data. Every account, invoice and payment it
 * answers or refuses is its patient's, with the fields asked; a refused lookup, list or change by the
 * patient it names.
 */
export const billingAudit: AuditDeclaration<BillingContext> = {
  event: auditRecorded,
  types: {
    BillingAccount: patientOf,
    Invoice: patientOf,
    Payment: patientOf,
  },
  targets: {
    'Query.invoice': ({ args, context }) => patientOfInvoice(args.id, context),
    'Query.invoiceByNumber': async ({ args, context }) =>
      typeof args.number === 'string'
        ? (await context.loaders.invoiceByNumber.load(args.number))?.patientId
        : undefined,
    'Patient.billingAccount': ({ parent }) => linked(idOf(parent) as string | undefined),
    'Patient.invoices': ({ parent }) => linked(idOf(parent) as string | undefined),
    'Appointment.invoice': async ({ parent, context }) =>
      (await context.loaders.invoiceOfAppointment.load(String(idOf(parent))))?.patientId,
    'Mutation.payInvoice': ({ args, context }) =>
      patientOfInvoice((args.input as { invoiceId?: unknown }).invoiceId, context),
    'Mutation.voidInvoice': ({ args, context }) => patientOfInvoice(args.id, context),
  },
};
