import type { OutgoingEvent } from '@hsg/kit/events';
import type { Doctor, DoctorCursor, DoctorFilter, DoctorPage } from './model.ts';

/**
 * Where doctors live. Writes take the events describing them and commit both together (the outbox).
 * One implementation, SQL (`store-sql.ts`), on MariaDB/MySQL and on Postgres/PGlite.
 */
export interface DoctorStore {
  findByIds(ids: readonly string[]): Promise<Doctor[]>;
  /** Doctors matching every given filter, ordered by (family, given, id), `first` of them after the cursor. */
  search(filter: DoctorFilter, first: number, after: DoctorCursor | undefined): Promise<DoctorPage>;
  count(filter: DoctorFilter): Promise<number>;
  /** Throws CONFLICT naming `licenseNumber` when the license is taken. */
  insert(doctor: Doctor, events: (saved: Doctor) => OutgoingEvent[]): Promise<Doctor>;
  /**
   * Replaces the doctor if its version is still `expectedVersion`; returns undefined when the doctor does
   * not exist, throws CONFLICT when the version moved on or the license is taken.
   */
  update(
    next: Doctor,
    expectedVersion: number,
    events: (saved: Doctor) => OutgoingEvent[],
  ): Promise<Doctor | undefined>;
}
