import type { OutgoingEvent } from '@hsg/kit/events';
import type {
  Appointment,
  AppointmentPage,
  DoctorProjection,
  Interval,
  PageArgs,
  Parties,
  VisibleFilter,
} from './model.ts';

/** What a change decided: the new state and its events, or nothing to do (returns the current state). */
export type Decision = { next: Appointment; events: OutgoingEvent[] } | 'unchanged';

export interface BookedInterval extends Interval {
  doctorId: string;
}

/**
 * Where appointments and the patient/doctor projections live. Writes run their decision inside the
 * transaction that holds the rows it read (the appointment locked for update, the parties' projections
 * for share), then commit the row and its events together (the outbox).
 * Implementation: SQL (`store-sql.ts`) on real Postgres and on PGlite.
 */
export interface AppointmentStore {
  findByIds(ids: readonly string[]): Promise<Appointment[]>;
  /** The lists and counts hold only what the filter (the caller's visibility included) lets through. */
  list(filter: VisibleFilter, page: PageArgs): Promise<AppointmentPage>;
  count(filter: VisibleFilter): Promise<number>;
  /** One page per parent (patient or doctor), every parent in one call. */
  listByParents(
    parent: 'patient' | 'doctor',
    parentIds: readonly string[],
    filter: VisibleFilter,
    page: PageArgs,
  ): Promise<Map<string, AppointmentPage>>;
  /** How many match, per parent, every parent in one call (parents with none are absent). */
  countByParents(
    parent: 'patient' | 'doctor',
    parentIds: readonly string[],
    filter: VisibleFilter,
  ): Promise<Map<string, number>>;
  findParties(patientId: string, doctorId: string): Promise<Parties>;
  findDoctors(ids: readonly string[]): Promise<DoctorProjection[]>;
  /** BOOKED appointments of these doctors overlapping [from, to). */
  bookedIntervals(doctorIds: readonly string[], from: Date, to: Date): Promise<BookedInterval[]>;
  /**
   * Inserts `draft` once `decide` (given the parties, locked) returns its events; `decide` throws to refuse.
   * Throws CONFLICT naming the doctor or patient when the time overlaps one of their BOOKED appointments.
   */
  insert(draft: Appointment, decide: (parties: Parties) => OutgoingEvent[]): Promise<Appointment>;
  /** Undefined when there is no such appointment; overlaps throw CONFLICT as in insert. */
  update(
    id: string,
    decide: (current: Appointment, parties: Parties) => Decision,
  ): Promise<Appointment | undefined>;
}
