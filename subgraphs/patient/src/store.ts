import type { OutgoingEvent } from '@hsg/kit/events';
import type { Patient, PatientCursor, PatientFilter, PatientPage } from './model.ts';

/**
 * Where patients live. Writes take the events describing them and commit both together (the outbox).
 * Implementations: SQL (`store-sql.ts`) on real Postgres and on PGlite.
 */
export interface PatientStore {
  findByIds(ids: readonly string[]): Promise<Patient[]>;
  findByMrn(mrn: string): Promise<Patient | undefined>;
  search(filter: PatientFilter, first: number, after: PatientCursor | undefined): Promise<PatientPage>;
  count(filter: PatientFilter): Promise<number>;
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
