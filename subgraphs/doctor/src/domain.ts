import { isDeepStrictEqual } from 'node:util';
import { doctorDeactivated, doctorRegistered, doctorUpdated } from '@hsg/contracts';
import { isUuid, nameCursor, notFound, staleVersion, validHumanName } from '@hsg/kit';
import { eventsFrom } from '@hsg/kit/events';
import { validPageSize } from '@hsg/kit/graphql';
import { v7 as uuidv7 } from 'uuid';
import {
  type Doctor,
  type DoctorFilter,
  type HumanName,
  type Money,
  toSnapshot,
  type WorkingHours,
} from './model.ts';
import type { DoctorStore } from './store.ts';
import { validLicenseNumber, validMoney, validSpecialties, validTimeZone } from './validation.ts';
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

const event = eventsFrom('urn:hsg:subgraph:doctor');

type Editable = Pick<Doctor, keyof RegisterDoctorInput>;

/** Validates and normalises each field given; fields not given are left out of the result. */
function validFields(input: UpdateDoctorInput): Partial<Editable> {
  const fields: Partial<Editable> = {};
  if (input.name) fields.name = validHumanName(input.name, 'input.name');
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
    const [doctor] = isUuid(id) ? await store.findByIds([id]) : [];
    if (!doctor) throw notFound(`No doctor with id ${id}`);
    return doctor;
  }

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
        event(doctorRegistered, saved.id, { doctor: toSnapshot(saved) }, context),
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
        if (current.version !== expectedVersion)
          throw staleVersion('doctor', expectedVersion, current.version);
        return current;
      }
      const next: Doctor = { ...current, ...fields, version: expectedVersion + 1, updatedAt: clock() };
      const saved = await store.update(next, expectedVersion, (doctor) => [
        event(doctorUpdated, doctor.id, { doctor: toSnapshot(doctor), changed }, context),
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
        event(
          doctorDeactivated,
          doctor.id,
          { doctor: toSnapshot(doctor), reason: reason?.trim() || null },
          context,
        ),
      ]);
      if (!saved) throw notFound(`No doctor with id ${id}`);
      return saved;
    },

    async search(filter: DoctorFilter | null | undefined, first: number, after: string | null | undefined) {
      validPageSize(first);
      const name = filter?.name?.trim().toLowerCase();
      const specialty = filter?.specialty?.trim().toLowerCase();
      const normalized = { active: filter?.active ?? null, name: name || null, specialty: specialty || null };
      const page = await store.search(normalized, first, after ? nameCursor.decode(after) : undefined);
      return { ...page, totalCount: () => store.count(normalized) };
    },
  };
}

export type DoctorDomain = ReturnType<typeof createDoctorDomain>;
