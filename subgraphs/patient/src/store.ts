import type { OutgoingEvent } from '@hsg/kit/events';
import type { Patient, PatientCursor, PatientFilter, PatientPage, PatientScope } from './model.ts';

/**
 * Where patients live. Writes take the events describing them and commit both together (the outbox).
 * Implementations: SQL (`store-sql.ts`) on real Postgres and on PGlite.
 */
export interface PatientStore {
  findByIds(ids: readonly string[]): Promise<Patient[]>;
  findByMrn(mrn: string): Promise<Patient | undefined>;
  /** A page of the patients in `scope` matching the filter; `count` counts the same set. */
  search(
    filter: PatientFilter,
    scope: PatientScope,
    first: number,
    after: PatientCursor | undefined,
  ): Promise<PatientPage>;
  count(filter: PatientFilter, scope: PatientScope): Promise<number>;
  /** Those of `patientIds` the doctor has or had an appointment with (the care_relationships projection). */
  caredForBy(doctorId: string, patientIds: readonly string[]): Promise<string[]>;
  /** A new MRN from the store's sequence (unique even across instances). */
  nextMrnNumber(): Promise<number>;
  /** Throws CONFLICT naming the field when the MRN or email is taken. */
  insert(patient: Patient, events: (saved: Patient) => OutgoingEvent[]): Promise<Patient>;
  /**
   * Replaces the patient if its version is still `expectedVersion`; returns undefined when the patient
   * does not exist, throws CONFLICT when the version moved on or a unique field is taken.
   */
  update(
    next: Patient,
    expectedVersion: number,
    events: (saved: Patient) => OutgoingEvent[],
  ): Promise<Patient | undefined>;
}
