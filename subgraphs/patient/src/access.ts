import { auditRecorded } from '@hsg/contracts';
import { isUuid } from '@hsg/kit';
import type { AuditDeclaration } from '@hsg/kit/audit';
import type { Policies, Principal } from '@hsg/kit/auth';
import DataLoader from 'dataloader';
import type { Patient, PatientScope } from './model.ts';
import type { PatientContext } from './resolvers.ts';
import type { PatientStore } from './store.ts';

/**
 * The patient subgraph's rules of ADR 0016. The coarse ones are `@requiresScopes` in schema.graphql;
 * here are the row-level ones its `@policy` directives name, and the same rule as an SQL scope for lists.
 */

/** The principal's own patient record (PATIENT), as the store writes ids; undefined when not a UUID. */
const ownPatientId = (principal: Principal) =>
  isUuid(principal.patientId) ? principal.patientId.toLowerCase() : undefined;
const ownDoctorId = (principal: Principal) =>
  isUuid(principal.doctorId) ? principal.doctorId.toLowerCase() : undefined;

/** Whom `patients(…)` searches and counts for the principal: what `patient.visible` allows, in SQL. */
export function scopeOf(principal: Principal | undefined): PatientScope {
  const patientId = principal && ownPatientId(principal);
  const doctorId = principal && ownDoctorId(principal);
  if (principal?.role === 'FRONT_DESK') return { kind: 'all' };
  if (principal?.role === 'PATIENT' && patientId) return { kind: 'patient', patientId };
  if (principal?.role === 'CLINICIAN' && doctorId) return { kind: 'doctor', doctorId };
  return { kind: 'none' };
}

/**
 * Per request: whether the calling doctor has or had an appointment with a patient (the care_relationships
 * projection), every patient of one answer in one store query.
 */
export function careLoader(
  store: PatientStore,
  principal: Principal | undefined,
): DataLoader<string, boolean> {
  const doctorId = principal?.role === 'CLINICIAN' ? ownDoctorId(principal) : undefined;
  return new DataLoader(async (patientIds: readonly string[]) => {
    const cared = new Set(doctorId ? await store.caredForBy(doctorId, patientIds) : []);
    return patientIds.map((id) => cared.has(id));
  });
}

export const patientPolicies: Policies<PatientContext> = {
  /** On type Patient: every patient object any field returns, entities for the router included. */
  'patient.visible': ({ principal, value, field, context }) => {
    const { id } = value as Patient;
    switch (principal.role) {
      case 'FRONT_DESK':
        return true;
      case 'PATIENT':
        return id === ownPatientId(principal);
      case 'CLINICIAN':
        return context.caresFor.load(id);
      case 'INTEGRATION':
        // Finds a patient by MRN (the fields beyond id, mrn and active need patients:read), never by
        // reference, which would turn any patient id into an MRN.
        return field === 'patientByMrn';
      default:
        return false; // ADMIN, BILLING
    }
  },
  /** On updatePatient, before it runs: the front desk, or a patient changing their own record. */
  'patient.updatable': ({ principal, args }) =>
    principal.role === 'FRONT_DESK' ||
    (principal.role === 'PATIENT' &&
      typeof args.id === 'string' &&
      args.id.toLowerCase() === ownPatientId(principal)),
};

/** A patient id a request names, as the store writes ids; undefined for what cannot be one. */
const patientIdArg = (id: unknown) => (isUuid(id) ? id.toLowerCase() : undefined);

/**
 * What the patient subgraph audits (ADR 0017): every patient it answers or refuses, with the fields
 * asked; a refused lookup or change by the id it names.
 */
export const patientAudit: AuditDeclaration<PatientContext> = {
  event: auditRecorded,
  types: { Patient: (patient: Patient) => patient.id },
  targets: {
    'Query.patient': ({ args }) => patientIdArg(args.id),
    'Mutation.updatePatient': ({ args }) => patientIdArg(args.id),
    'Mutation.deactivatePatient': ({ args }) => patientIdArg(args.id),
  },
};
