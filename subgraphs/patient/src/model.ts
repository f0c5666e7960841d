import type { PatientSnapshot } from '@hsg/contracts';
import type { HumanName, NameCursor } from '@hsg/kit';

export type Gender = PatientSnapshot['gender'];

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

/**
 * Which patients a caller may see (see access.ts): every one, one (their own record), a doctor's (those
 * they have or had an appointment with), or none. Searches and counts are restricted to it in SQL.
 */
export type PatientScope =
  | { kind: 'all' }
  | { kind: 'patient'; patientId: string }
  | { kind: 'doctor'; doctorId: string }
  | { kind: 'none' };

/** A position in the name-ordered list of patients (keyset paging). */
export type PatientCursor = NameCursor;

/** A page without its total: counting is a query of its own, run only when a client asks for it. */
export interface PatientPage {
  patients: Array<{ patient: Patient; cursor: PatientCursor }>;
  hasNextPage: boolean;
}

export function toSnapshot(patient: Patient): PatientSnapshot {
  return {
    ...patient,
    createdAt: patient.createdAt.toISOString(),
    updatedAt: patient.updatedAt.toISOString(),
  };
}

export type { HumanName };
