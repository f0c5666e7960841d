import { isDeepStrictEqual } from 'node:util';
import { doctorDeactivated, doctorRegistered, doctorUpdated } from '@hsg/contracts';
import { badUserInput, conflict, notFound } from '@hsg/kit';
import { outgoing } from '@hsg/kit/events';
import { v7 as uuidv7 } from 'uuid';
import {
  type Doctor,
  type DoctorCursor,
  type DoctorFilter,
  type HumanName,
  type Money,
  toSnapshot,
  type WorkingHours,
} from './model.ts';
import type { DoctorStore } from './store.ts';
import { validLicenseNumber, validMoney, validName, validSpecialties, validTimeZone } from './validation.ts';
import { validWorkingHours } from './working-hours.ts';

export interface RegisterDoctorInput {
  name: HumanName;
  licenseNumber: string;
  specialties: string[];
  timeZone: string;
  workingHours: WorkingHours[];
  consultationFee: Money;
}

/** Fields left out (or null) stay as they are; a list given replaces the whole list. */
export type UpdateDoctorInput = { [Field in keyof RegisterDoctorInput]?: RegisterDoctorInput[Field] | null };

/** Who or what caused a change: travels into events as the trace context. */
export interface ChangeContext {
  traceparent?: string | undefined;
}

const SOURCE = 'urn:hsg:subgraph:doctor';
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isDoctorId = (id: unknown): id is string => typeof id === 'string' && uuidPattern.test(id);

type Editable = Pick<Doctor, keyof RegisterDoctorInput>;

/** Validates and normalises each field given; fields not given are left out of the result. */
function validFields(input: UpdateDoctorInput): Partial<Editable> {
  const fields: Partial<Editable> = {};
  if (input.name) fields.name = validName(input.name, 'input.name');
  if (input.licenseNumber != null)
    fields.licenseNumber = validLicenseNumber(input.licenseNumber, 'input.licenseNumber');
  if (input.specialties) fields.specialties = validSpecialties(input.specialties, 'input.specialties');
  if (input.timeZone != null) fields.timeZone = validTimeZone(input.timeZone, 'input.timeZone');
  if (input.workingHours) fields.workingHours = validWorkingHours(input.workingHours, 'input.workingHours');
  if (input.consultationFee)
    fields.consultationFee = validMoney(input.consultationFee, 'input.consultationFee');
  return fields;
}

/** Doctor use cases: validation, state changes and the events they emit. Resolvers only call these. */
export function createDoctorDomain(store: DoctorStore, clock: () => Date = () => new Date()) {
  async function requireExisting(id: string): Promise<Doctor> {
    const [doctor] = isDoctorId(id) ? await store.findByIds([id]) : [];
    if (!doctor) throw notFound(`No doctor with id ${id}`);
    return doctor;
  }

  const staleVersion = (expected: number, current: number) =>
    conflict(`doctor was changed meanwhile: expectedVersion ${expected}, current ${current}`, {
      field: 'expectedVersion',
      currentVersion: current,
    });

  return {
    async register(input: RegisterDoctorInput, context: ChangeContext = {}): Promise<Doctor> {
      const fields = validFields(input) as Editable;
      const now = clock();
      const doctor: Doctor = {
        id: uuidv7(),
        ...fields,
        active: true,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      return store.insert(doctor, (saved) => [
        outgoing(doctorRegistered, {
          source: SOURCE,
          subject: saved.id,
          data: { doctor: toSnapshot(saved) },
          traceparent: context.traceparent,
        }),
      ]);
    },

    /** Only fields whose normalised value differs count as changed; no change at all writes nothing. */
    async update(
      id: string,
      expectedVersion: number,
      input: UpdateDoctorInput,
      context: ChangeContext = {},
    ): Promise<Doctor> {
      const current = await requireExisting(id);
      const fields = validFields(input);
      const changed = (Object.keys(fields) as Array<keyof Editable>).filter(
        (field) => !isDeepStrictEqual(fields[field], current[field]),
      );
      if (changed.length === 0) {
        if (current.version !== expectedVersion) throw staleVersion(expectedVersion, current.version);
        return current;
      }
      const next: Doctor = { ...current, ...fields, version: expectedVersion + 1, updatedAt: clock() };
      const saved = await store.update(next, expectedVersion, (doctor) => [
        outgoing(doctorUpdated, {
          source: SOURCE,
          subject: doctor.id,
          data: { doctor: toSnapshot(doctor), changed },
          traceparent: context.traceparent,
        }),
      ]);
      if (!saved) throw notFound(`No doctor with id ${id}`);
      return saved;
    },

    /** Deactivating an inactive doctor returns it unchanged and emits nothing (a retry is harmless). */
    async deactivate(
      id: string,
      reason: string | null | undefined,
      context: ChangeContext = {},
    ): Promise<Doctor> {
      const current = await requireExisting(id);
      if (!current.active) return current;
      const next: Doctor = { ...current, active: false, version: current.version + 1, updatedAt: clock() };
      const saved = await store.update(next, current.version, (doctor) => [
        outgoing(doctorDeactivated, {
          source: SOURCE,
          subject: doctor.id,
          data: { doctor: toSnapshot(doctor), reason: reason?.trim() || null },
          traceparent: context.traceparent,
        }),
      ]);
      if (!saved) throw notFound(`No doctor with id ${id}`);
      return saved;
    },

    async search(filter: DoctorFilter | null | undefined, first: number, after: string | null | undefined) {
      if (!Number.isInteger(first) || first < 1 || first > 100)
        throw badUserInput('first must be between 1 and 100', 'first');
      const name = filter?.name?.trim().toLowerCase();
      const specialty = filter?.specialty?.trim().toLowerCase();
      return store.search(
        { active: filter?.active ?? null, name: name || null, specialty: specialty || null },
        first,
        after ? decodeCursor(after) : undefined,
      );
    },
  };
}

export type DoctorDomain = ReturnType<typeof createDoctorDomain>;

export function encodeCursor(cursor: DoctorCursor): string {
  return Buffer.from(JSON.stringify([cursor.sortName, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string): DoctorCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && isDoctorId(parsed[1])) {
      return { sortName: parsed[0], id: parsed[1] };
    }
  } catch {
    // falls through to the error below
  }
  throw badUserInput('after is not a cursor returned by this API', 'after');
}
