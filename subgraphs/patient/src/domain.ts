import { patientDeactivated, patientRegistered, patientUpdated } from '@hsg/contracts';
import { badUserInput, isUuid, nameCursor, notFound, validHumanName } from '@hsg/kit';
import { auditedWrite, type RequestAudit } from '@hsg/kit/audit';
import { eventsFrom } from '@hsg/kit/events';
import { isCalendarDate, validPageSize } from '@hsg/kit/graphql';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import {
  type Address,
  type Gender,
  type HumanName,
  type Patient,
  type PatientFilter,
  type PatientScope,
  toSnapshot,
} from './model.ts';
import type { PatientStore } from './store.ts';

export interface RegisterPatientInput {
  mrn?: string | null;
  name: HumanName;
  birthDate: string;
  gender: Gender;
  email?: string | null;
  phone?: string | null;
  address?: Address | null;
}

export type UpdatePatientInput = Partial<Omit<RegisterPatientInput, 'mrn'>>;

/**
 * Who or what caused a change: the trace context travels into its events, and the request's audit
 * records the write in the change's own transaction (ADR 0017).
 */
export interface ChangeContext {
  traceparent?: string | undefined;
  audit?: RequestAudit | undefined;
}

const event = eventsFrom('urn:hsg:subgraph:patient');
const OLDEST_BIRTH_YEAR = 1880;
const email = z.email();
const mrnPattern = /^[A-Z0-9][A-Z0-9-]{2,31}$/;

/** MRN-0100001-7: a sequence number with a Luhn check digit, so a mistyped MRN is caught at the desk. */
export function formatMrn(sequence: number): string {
  const digits = String(sequence).padStart(7, '0');
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 0) digit *= 2;
    sum += digit > 9 ? digit - 9 : digit;
  }
  return `MRN-${digits}-${(10 - (sum % 10)) % 10}`;
}

function validBirthDate(value: string, field: string, today = new Date()): string {
  if (!isCalendarDate(value)) throw badUserInput(`${field} must be a real calendar date (YYYY-MM-DD)`, field);
  if (value > today.toISOString().slice(0, 10))
    throw badUserInput(`${field} must not be in the future`, field);
  if (Number(value.slice(0, 4)) < OLDEST_BIRTH_YEAR)
    throw badUserInput(`${field} must not be before ${OLDEST_BIRTH_YEAR}`, field);
  return value;
}

function validEmail(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const trimmed = value.trim();
  if (!email.safeParse(trimmed).success) throw badUserInput(`${field} is not a valid email address`, field);
  return trimmed.toLowerCase();
}

function validPhone(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const trimmed = value.trim();
  if (!/^\+?[0-9 ()./-]{3,30}$/.test(trimmed))
    throw badUserInput(`${field} is not a valid phone number`, field);
  return trimmed;
}

function validAddress(value: Address | null | undefined): Address | null {
  if (!value) return null;
  return {
    line: value.line.map((line) => line.trim()).filter((line) => line.length > 0),
    city: value.city?.trim() || null,
    postalCode: value.postalCode?.trim() || null,
    country: value.country?.trim() || null,
  };
}

/** Patient use cases: validation, state changes and the events they emit. Resolvers only call these. */
export function createPatientDomain(store: PatientStore, clock: () => Date = () => new Date()) {
  async function requireExisting(id: string): Promise<Patient> {
    const [patient] = isUuid(id) ? await store.findByIds([id]) : [];
    if (!patient) throw notFound(`No patient with id ${id}`);
    return patient;
  }

  return {
    async register(input: RegisterPatientInput, context: ChangeContext = {}): Promise<Patient> {
      let mrn = input.mrn?.trim().toUpperCase();
      if (mrn !== undefined && mrn !== '' && !mrnPattern.test(mrn)) {
        throw badUserInput('input.mrn must be 3-32 letters, digits or dashes', 'input.mrn');
      }
      const name = validHumanName(input.name, 'input.name');
      const birthDate = validBirthDate(input.birthDate, 'input.birthDate', clock());
      const now = clock();
      if (!mrn) mrn = formatMrn(await store.nextMrnNumber());
      const patient: Patient = {
        id: uuidv7(), // time-ordered: consumers can tell a just-minted id from an unknown one
        mrn,
        name,
        birthDate,
        gender: input.gender,
        email: validEmail(input.email, 'input.email'),
        phone: validPhone(input.phone, 'input.phone'),
        address: validAddress(input.address),
        active: true,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      return store.insert(patient, (saved) => [
        event(patientRegistered, saved.id, { patient: toSnapshot(saved) }, context),
        ...auditedWrite(context, saved.id),
      ]);
    },

    async update(
      id: string,
      expectedVersion: number,
      input: UpdatePatientInput,
      context: ChangeContext = {},
    ): Promise<Patient> {
      const current = await requireExisting(id);
      const changes: Partial<Patient> = {};
      if (input.name) changes.name = validHumanName(input.name, 'input.name');
      if (input.birthDate) changes.birthDate = validBirthDate(input.birthDate, 'input.birthDate', clock());
      if (input.gender) changes.gender = input.gender;
      if (input.email !== undefined) changes.email = validEmail(input.email, 'input.email');
      if (input.phone !== undefined) changes.phone = validPhone(input.phone, 'input.phone');
      if (input.address !== undefined) changes.address = validAddress(input.address);
      const next: Patient = { ...current, ...changes, version: expectedVersion + 1, updatedAt: clock() };
      const saved = await store.update(next, expectedVersion, (patient) => [
        event(
          patientUpdated,
          patient.id,
          { patient: toSnapshot(patient), changed: Object.keys(changes) },
          context,
        ),
        ...auditedWrite(context, patient.id),
      ]);
      if (!saved) throw notFound(`No patient with id ${id}`);
      return saved;
    },

    async deactivate(
      id: string,
      reason: string | null | undefined,
      context: ChangeContext = {},
    ): Promise<Patient> {
      const current = await requireExisting(id);
      if (!current.active) return current; // already inactive: nothing changes, no event
      const next: Patient = { ...current, active: false, version: current.version + 1, updatedAt: clock() };
      const saved = await store.update(next, current.version, (patient) => [
        event(
          patientDeactivated,
          patient.id,
          { patient: toSnapshot(patient), reason: reason?.trim() || null },
          context,
        ),
        ...auditedWrite(context, patient.id),
      ]);
      if (!saved) throw notFound(`No patient with id ${id}`);
      return saved;
    },

    async byId(id: string): Promise<Patient | undefined> {
      if (!isUuid(id)) return undefined;
      const [patient] = await store.findByIds([id]);
      return patient;
    },

    byMrn: (mrn: string) => store.findByMrn(mrn.trim().toUpperCase()),

    /**
     * `scope`: whom the caller may see (resolvers pass the principal's, see access.ts); every patient by
     * default, for trusted callers in the process (the demo loader).
     */
    async search(
      filter: PatientFilter | null | undefined,
      first: number,
      after: string | null | undefined,
      scope: PatientScope = { kind: 'all' },
    ) {
      validPageSize(first);
      if (filter?.birthDate && !isCalendarDate(filter.birthDate))
        throw badUserInput('filter.birthDate must be a real calendar date', 'filter.birthDate');
      const name = filter?.name?.trim();
      const normalized = { ...filter, name: name || null };
      const page = await store.search(normalized, scope, first, after ? nameCursor.decode(after) : undefined);
      return { ...page, totalCount: () => store.count(normalized, scope) };
    },
  };
}

export type PatientDomain = ReturnType<typeof createPatientDomain>;
