import type { DoctorSnapshot, Money, Weekday, WorkingHours } from '@hsg/contracts';

export type { Money, Weekday, WorkingHours };

export interface HumanName {
  given: string[];
  family: string;
}

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
export interface DoctorCursor {
  sortName: string;
  id: string;
}

export interface DoctorPage {
  doctors: Array<{ doctor: Doctor; cursor: DoctorCursor }>;
  hasNextPage: boolean;
  totalCount: number;
}

/** The sort key keyset paging walks: family, then given names, case-folded; the id breaks ties. */
export function sortName(name: HumanName): string {
  return `${name.family}\u0001${name.given.join(' ')}`.toLowerCase();
}

/** Case-folded name parts a "starts with" search matches: each whole part and its space/hyphen pieces. */
export function nameTokens(name: HumanName): string[] {
  const parts = [...name.given, name.family].map((part) => part.toLowerCase());
  const pieces = parts.flatMap((part) => part.split(/[\s-]+/));
  return [...new Set([...parts, ...pieces].filter((token) => token.length > 0))];
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
