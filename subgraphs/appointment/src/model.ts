import type { AppointmentSnapshot, AppointmentStatus, WorkingHours } from '@hsg/contracts';

export type { AppointmentStatus, WorkingHours };

export interface Appointment {
  id: string;
  patientId: string;
  doctorId: string;
  start: Date;
  /** Exclusive. */
  end: Date;
  status: AppointmentStatus;
  reason: string | null;
  cancellationReason: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A patient as the patient subgraph's events described it. */
export interface PatientProjection {
  id: string;
  active: boolean;
  version: number;
}

/** A doctor as the doctor subgraph's events described it: enough to validate bookings and offer slots. */
export interface DoctorProjection {
  id: string;
  active: boolean;
  /** IANA zone the working hours are local to. */
  timeZone: string;
  workingHours: WorkingHours[];
  version: number;
}

/** The two parties of an appointment as this subgraph knows them (undefined: no event seen yet). */
export interface Parties {
  patient: PatientProjection | undefined;
  doctor: DoctorProjection | undefined;
}

export interface AppointmentFilter {
  status?: AppointmentStatus[] | null;
  /** Start at or after. */
  from?: Date | null;
  /** Start before. */
  to?: Date | null;
}

/**
 * Which appointments a caller may see (decided in access.ts): every one, none, or those of one patient
 * or one doctor. Lists add it to their SQL, so their pages and totals hold only those.
 */
export type Visibility = 'all' | 'none' | { patientId: string } | { doctorId: string };

/** A filter with the caller's visibility folded in: what the store's lists take. */
export interface VisibleFilter extends AppointmentFilter {
  patientId?: string;
  doctorId?: string;
}

/** A position in the (start, id)-ordered list of appointments (keyset paging). */
export interface AppointmentCursor {
  start: Date;
  id: string;
}

export interface PageArgs {
  first: number;
  after: AppointmentCursor | undefined;
}

/** A page without its total: counting is a query of its own, run only when a client asks for it. */
export interface AppointmentPage {
  appointments: Appointment[];
  hasNextPage: boolean;
}

export interface Interval {
  start: Date;
  end: Date;
}

export const emptyPage: AppointmentPage = { appointments: [], hasNextPage: false };

export function toSnapshot(appointment: Appointment): AppointmentSnapshot {
  return {
    id: appointment.id,
    patientId: appointment.patientId,
    doctorId: appointment.doctorId,
    start: appointment.start.toISOString(),
    end: appointment.end.toISOString(),
    status: appointment.status,
    reason: appointment.reason,
    cancellationReason: appointment.cancellationReason,
    version: appointment.version,
    createdAt: appointment.createdAt.toISOString(),
    updatedAt: appointment.updatedAt.toISOString(),
  };
}
