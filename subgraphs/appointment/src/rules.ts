import { AppError } from '@hsg/kit';
import type { Parties } from './model.ts';
import { fitsWorkingHours } from './schedule.ts';

/**
 * The booking rules, each with a stable name clients can branch on (`extensions.rule`); the message says
 * the same in words. Pure: callers pass the parties and the clock's reading.
 */
export type Rule =
  | 'DURATION_OUT_OF_RANGE'
  | 'IN_THE_PAST'
  | 'OUTSIDE_WORKING_HOURS'
  | 'PATIENT_UNKNOWN'
  | 'PATIENT_INACTIVE'
  | 'DOCTOR_UNKNOWN'
  | 'DOCTOR_INACTIVE'
  | 'NOT_STARTED'
  | 'REASON_TOO_LONG';

export const MIN_DURATION_MINUTES = 5;
export const MAX_DURATION_MINUTES = 480;
const MAX_REASON_LENGTH = 500;

export function ruleViolation(rule: Rule, message: string, field?: string): AppError {
  return new AppError('BAD_USER_INPUT', message, { details: { rule, ...(field ? { field } : {}) } });
}

export function validDuration(minutes: number, field: string): number {
  if (!Number.isInteger(minutes) || minutes < MIN_DURATION_MINUTES || minutes > MAX_DURATION_MINUTES) {
    throw ruleViolation(
      'DURATION_OUT_OF_RANGE',
      `${field} must be a whole number of minutes from ${MIN_DURATION_MINUTES} to ${MAX_DURATION_MINUTES} (rule DURATION_OUT_OF_RANGE)`,
      field,
    );
  }
  return minutes;
}

export function notInThePast(start: Date, now: Date, field: string): Date {
  if (start < now) throw ruleViolation('IN_THE_PAST', `${field} is in the past (rule IN_THE_PAST)`, field);
  return start;
}

export function validReason(reason: string | null | undefined, field: string): string | null {
  const trimmed = reason?.trim();
  if (!trimmed) return null;
  if (trimmed.length > MAX_REASON_LENGTH)
    throw ruleViolation('REASON_TOO_LONG', `${field} must be at most ${MAX_REASON_LENGTH} characters`, field);
  return trimmed;
}

/** Patient and doctor known and active, and [start, end) inside one of the doctor's working ranges. */
export function assertBookable(
  parties: Parties,
  ids: { patientId: string; doctorId: string },
  interval: { start: Date; end: Date },
  fields: { patient: string; doctor: string; start: string },
): void {
  const { patient, doctor } = parties;
  if (!patient)
    throw ruleViolation(
      'PATIENT_UNKNOWN',
      `no patient ${ids.patientId} (rule PATIENT_UNKNOWN)`,
      fields.patient,
    );
  if (!patient.active)
    throw ruleViolation(
      'PATIENT_INACTIVE',
      `patient ${patient.id} is inactive (rule PATIENT_INACTIVE)`,
      fields.patient,
    );
  if (!doctor)
    throw ruleViolation('DOCTOR_UNKNOWN', `no doctor ${ids.doctorId} (rule DOCTOR_UNKNOWN)`, fields.doctor);
  if (!doctor.active)
    throw ruleViolation(
      'DOCTOR_INACTIVE',
      `doctor ${doctor.id} is inactive (rule DOCTOR_INACTIVE)`,
      fields.doctor,
    );
  if (!fitsWorkingHours(doctor, interval.start, interval.end)) {
    throw ruleViolation(
      'OUTSIDE_WORKING_HOURS',
      `the appointment is outside the doctor's working hours (${doctor.timeZone}); it must fit inside one working range (rule OUTSIDE_WORKING_HOURS)`,
      fields.start,
    );
  }
}
