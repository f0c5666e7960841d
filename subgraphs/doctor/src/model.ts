import type { DoctorSnapshot, Money, Weekday, WorkingHours } from '@hsg/contracts';
import type { HumanName, NameCursor } from '@hsg/kit';

export type { HumanName, Money, Weekday, WorkingHours };

export interface Doctor {
  id: string;
  name: HumanName;
  /** Upper-cased; unique across doctors. */
  licenseNumber: string;
  /** As spelled at registration, de-duplicated case-insensitively. */
  specialties: string[];
  /** Canonical IANA name, e.g. Europe/Berlin. */
  timeZone: string;
  /** Sorted by weekday, then start; ranges of one weekday never overlap. */
  workingHours: WorkingHours[];
  consultationFee: Money;
  active: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DoctorFilter {
  /** Exact specialty, compared case-insensitively. */
  specialty?: string | null;
  active?: boolean | null;
  /** Prefix of a given or family name, case-insensitive. */
  name?: string | null;
}

/** A position in the name-ordered list of doctors (keyset paging). */
export type DoctorCursor = NameCursor;

/** A page without its total: counting is a query of its own, run only when a client asks for it. */
export interface DoctorPage {
  doctors: Array<{ doctor: Doctor; cursor: DoctorCursor }>;
  hasNextPage: boolean;
}

/** What the specialty filter compares: trimmed and case-folded. */
export const specialtyKey = (specialty: string): string => specialty.trim().toLowerCase();

export function toSnapshot(doctor: Doctor): DoctorSnapshot {
  return {
    ...doctor,
    createdAt: doctor.createdAt.toISOString(),
    updatedAt: doctor.updatedAt.toISOString(),
  };
}
