import type { PatientSnapshot } from '@hsg/contracts';

export type Gender = PatientSnapshot['gender'];

export interface HumanName {
  given: string[];
  family: string;
}

export interface Address {
  line: string[];
  city: string | null;
  postalCode: string | null;
  country: string | null;
}

export interface Patient {
  id: string;
  mrn: string;
  name: HumanName;
  birthDate: string;
  gender: Gender;
  email: string | null;
  phone: string | null;
  address: Address | null;
  active: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface PatientFilter {
  name?: string | null;
  birthDate?: string | null;
  active?: boolean | null;
}

/** A position in the name-ordered list of patients (keyset paging). */
export interface PatientCursor {
  sortName: string;
  id: string;
}

export interface PatientPage {
  patients: Array<{ patient: Patient; cursor: PatientCursor }>;
  hasNextPage: boolean;
  totalCount: number;
}

/** The sort key keyset paging walks: family, then given names, case-folded. */
export function sortName(name: HumanName): string {
  return `${name.family}\u0001${name.given.join(' ')}`.toLowerCase();
}

/** Case-folded name parts a "starts with" search matches against. */
export function nameTokens(name: HumanName): string[] {
  const parts = [...name.given, name.family].flatMap((part) => part.toLowerCase().split(/[\s-]+/));
  return [...new Set(parts.filter((part) => part.length > 0))];
}

export function toSnapshot(patient: Patient): PatientSnapshot {
  return {
    ...patient,
    createdAt: patient.createdAt.toISOString(),
    updatedAt: patient.updatedAt.toISOString(),
  };
}
