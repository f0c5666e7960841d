import type { WorkingHours } from '@hsg/contracts';
import type { Appointment, AppointmentStatus, DoctorProjection, PatientProjection } from './model.ts';

/** The subgraph's tables as Kysely sees them (migrations/0001_appointments.sql). */
export interface AppointmentRow {
  id: string;
  patient_id: string;
  doctor_id: string;
  start_at: Date;
  end_at: Date;
  status: AppointmentStatus;
  reason: string | null;
  cancellation_reason: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface PatientProjectionRow {
  id: string;
  active: boolean;
  version: number;
}

export interface DoctorProjectionRow {
  id: string;
  active: boolean;
  time_zone: string;
  working_hours: WorkingHours[];
  version: number;
}

export interface Tables {
  appointments: AppointmentRow;
  patient_projection: PatientProjectionRow;
  doctor_projection: DoctorProjectionRow;
}

export const toAppointment = (row: AppointmentRow): Appointment => ({
  id: row.id,
  patientId: row.patient_id,
  doctorId: row.doctor_id,
  start: row.start_at,
  end: row.end_at,
  status: row.status,
  reason: row.reason,
  cancellationReason: row.cancellation_reason,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const toAppointmentRow = (appointment: Appointment): AppointmentRow => ({
  id: appointment.id,
  patient_id: appointment.patientId,
  doctor_id: appointment.doctorId,
  start_at: appointment.start,
  end_at: appointment.end,
  status: appointment.status,
  reason: appointment.reason,
  cancellation_reason: appointment.cancellationReason,
  version: appointment.version,
  created_at: appointment.createdAt,
  updated_at: appointment.updatedAt,
});

export const toPatientProjection = (row: PatientProjectionRow): PatientProjection => ({
  id: row.id,
  active: row.active,
  version: row.version,
});

export const toDoctorProjection = (row: DoctorProjectionRow): DoctorProjection => ({
  id: row.id,
  active: row.active,
  timeZone: row.time_zone,
  workingHours: row.working_hours,
  version: row.version,
});

/** The only columns an appointment's row has: `during` is generated from start_at and end_at. */
export const appointmentColumns = [
  'id',
  'patient_id',
  'doctor_id',
  'start_at',
  'end_at',
  'status',
  'reason',
  'cancellation_reason',
  'version',
  'created_at',
  'updated_at',
] as const;

/** What the domain reads of the projections (projected_at is for people debugging, not for rules). */
export const patientProjectionColumns = ['id', 'active', 'version'] as const;
export const doctorProjectionColumns = ['id', 'active', 'time_zone', 'working_hours', 'version'] as const;
