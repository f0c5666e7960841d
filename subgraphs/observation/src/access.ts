import { auditRecorded } from '@hsg/contracts';
import { isUuid } from '@hsg/kit';
import type { AuditDeclaration } from '@hsg/kit/audit';
import type { Policies, Principal } from '@hsg/kit/auth';
import type { Observation, Visibility } from './model.ts';
import type { ObservationContext } from './resolvers.ts';

/**
 * Who may see and change lab results (issue 14, on ADR 0016): a PATIENT their own, a CLINICIAN those of
 * the patients they have or had appointments with (and may correct them), an INTEGRATION records and
 * corrects but reads only id, status and version of what its mutation answers; nobody else anything.
 * The scopes are in schema.graphql; lists are narrowed to `visibilityOf` in SQL.
 */

const linked = (id: unknown) => (isUuid(id) ? id.toLowerCase() : undefined);

export function visibilityOf(principal: Principal | undefined): Visibility {
  const patientId = principal?.role === 'PATIENT' ? linked(principal.patientId) : undefined;
  if (patientId) return { patientId };
  const doctorId = principal?.role === 'CLINICIAN' ? linked(principal.doctorId) : undefined;
  return doctorId ? { doctorId } : 'none';
}

/** Whether the principal may read this patient's results (a CLINICIAN through the request's loader). */
function mayRead(principal: Principal, patientId: string | undefined, context: ObservationContext) {
  if (patientId === undefined) return false;
  if (principal.role === 'PATIENT') return patientId === linked(principal.patientId);
  if (principal.role === 'CLINICIAN') return context.loaders.caresFor.load(patientId);
  return false;
}

/** The mutations whose answer an INTEGRATION may read (id, status, version: the other fields need a scope it lacks). */
const integrationAnswers = new Set(['observations', 'correctObservation', 'markObservationEnteredInError']);

const idOf = (value: unknown) => linked((value as { id?: unknown } | null)?.id);
const patientOfObservation = async (id: unknown, context: ObservationContext) =>
  typeof id === 'string' ? (await context.loaders.observation.load(id))?.patientId : undefined;

export const observationPolicies: Policies<ObservationContext> = {
  /** On type Observation: every one any field returns, entities included. */
  'observation.visible': ({ principal, value, field, context }) =>
    principal.role === 'INTEGRATION'
      ? integrationAnswers.has(field)
      : mayRead(principal, (value as Observation).patientId, context),

  /** Patient.observations / latestResults: the patient's own, or a clinician's patient. */
  'patient.observations': ({ principal, value, context }) => mayRead(principal, idOf(value), context),

  /** Query.observations(patientId): alike, by the argument. */
  'observations.ofPatient': ({ principal, args, context }) =>
    mayRead(principal, linked(args.patientId), context),

  /** correctObservation / markObservationEnteredInError: an integration any; a clinician their patients'. */
  'observation.correctable': async ({ principal, args, context }) => {
    if (principal.role === 'INTEGRATION') return true;
    if (principal.role !== 'CLINICIAN') return false;
    const patientId = await patientOfObservation(args.id, context);
    return patientId === undefined || context.loaders.caresFor.load(patientId); // none: NOT_FOUND
  },
};

/**
 * What observation audits (ADR 0017): lab results are patient data. Every observation it answers or
 * refuses is its patient's, with the fields asked; a refused lookup, list or change by the patient it names.
 */
export const observationAudit: AuditDeclaration<ObservationContext> = {
  event: auditRecorded,
  types: { Observation: (observation: Observation) => observation.patientId },
  targets: {
    'Query.observation': ({ args, context }) => patientOfObservation(args.id, context),
    'Query.observations': ({ args }) => linked(args.patientId),
    'Patient.observations': ({ parent }) => idOf(parent),
    'Patient.latestResults': ({ parent }) => idOf(parent),
    'Mutation.recordLabResults': async ({ args, context }) => {
      const input = args.input as { patientId?: unknown; patientMrn?: unknown };
      if (input.patientId !== undefined && input.patientId !== null) return linked(input.patientId);
      return typeof input.patientMrn === 'string'
        ? (await context.loaders.patientByMrn.load(input.patientMrn.trim()))?.id
        : undefined;
    },
    'Mutation.correctObservation': ({ args, context }) => patientOfObservation(args.id, context),
    'Mutation.markObservationEnteredInError': ({ args, context }) => patientOfObservation(args.id, context),
  },
};
