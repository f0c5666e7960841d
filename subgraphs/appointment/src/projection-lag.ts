import { AppError } from '@hsg/kit';
import { awaitProjected, classifyAbsence, type ProjectionLag } from '@hsg/kit/events';
import type { Parties } from './model.ts';
import { ruleViolation } from './rules.ts';
import type { AppointmentStore } from './store.ts';

/**
 * A booking can arrive before the patient's or doctor's registration event reached our projection (the
 * front desk registers, then books at once). The kit's projection-lag rule (ADR 0006) decides; this file
 * only names the parties, the rules and the messages.
 */
export type ProjectionLagPolicy = ProjectionLag;

/** Reads the parties, waiting up to policy.waitMs (real time) for absent ones to be projected. */
export function awaitParties(
  store: AppointmentStore,
  ids: { patientId: string; doctorId: string },
  policy: ProjectionLagPolicy,
): Promise<Parties> {
  return awaitProjected(
    () => store.findParties(ids.patientId, ids.doctorId),
    (parties) => Boolean(parties.patient && parties.doctor),
    policy,
  );
}

/** Throws for a party still absent after the wait: UNAVAILABLE while it may yet appear, else *_UNKNOWN. */
export function assertKnown(
  parties: Parties,
  ids: { patientId: string; doctorId: string },
  fields: { patient: string; doctor: string },
  policy: ProjectionLagPolicy,
  now: Date,
): void {
  const missing = [
    { kind: 'patient', id: ids.patientId, present: parties.patient, field: fields.patient },
    { kind: 'doctor', id: ids.doctorId, present: parties.doctor, field: fields.doctor },
  ].find((party) => !party.present);
  if (!missing) return;
  const rule = missing.kind === 'patient' ? 'PATIENT' : 'DOCTOR';
  if (classifyAbsence(missing.id, policy, now) === 'not-yet-known') {
    throw new AppError(
      'UNAVAILABLE',
      `${missing.kind} ${missing.id} is not yet known here (its registration may still be on its way); retry shortly`,
      { details: { rule: `${rule}_NOT_YET_KNOWN`, field: missing.field } },
    );
  }
  throw ruleViolation(
    rule === 'PATIENT' ? 'PATIENT_UNKNOWN' : 'DOCTOR_UNKNOWN',
    `no ${missing.kind} ${missing.id} (rule ${rule}_UNKNOWN)`,
    missing.field,
  );
}
