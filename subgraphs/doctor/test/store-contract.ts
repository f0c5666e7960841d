import { doctorRegistered, doctorTopic, doctorUpdated } from '@hsg/contracts';
import { type AppError, isAppError } from '@hsg/kit';
import { eventKitMigrations, type OutgoingEvent, outgoing } from '@hsg/kit/events';
import { isUniqueViolation, runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { type SqlBackend, setupTimeoutMs, uniqueName } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { type Doctor, toSnapshot } from '../src/model.ts';
import type { DoctorStore } from '../src/store.ts';
import { createSqlDoctorStore, doctorMigrations } from '../src/subgraph.ts';

interface OutboxTables {
  kit_outbox: { event_id: string; topic: string; key: string };
}

const tag = () => uniqueName('').slice(-8);

/** A valid, already normalised doctor (the store stores what the domain hands it). */
function makeDoctor(overrides: Partial<Doctor> = {}): Doctor {
  const now = new Date('2026-11-02T08:15:30.123Z');
  return {
    id: uuidv7(),
    name: { given: ['Meredith', 'Ann'], family: `Grey${tag()}` },
    licenseNumber: `LIC-${tag().toUpperCase()}`,
    specialties: ['General Surgery', 'Trauma'],
    timeZone: 'Europe/Berlin',
    workingHours: [
      { weekday: 'MON', start: '08:00', end: '12:00' },
      { weekday: 'MON', start: '13:00', end: '17:00' },
      { weekday: 'FRI', start: '20:00', end: '24:00' },
    ],
    consultationFee: { amount: 8500, currency: 'EUR' },
    active: true,
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

const registered = (doctor: Doctor): OutgoingEvent[] => [
  outgoing(doctorRegistered, {
    source: 'urn:test',
    subject: doctor.id,
    data: { doctor: toSnapshot(doctor) },
  }),
];

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** What every DoctorStore implementation must do, run on each SQL backend (PGlite, MariaDB). */
export function describeDoctorStoreContract(backend: SqlBackend): void {
  let database: SqlDatabase;
  let store: DoctorStore;

  const outboxRows = (subject: string) =>
    (database.db as Kysely<OutboxTables>)
      .selectFrom('kit_outbox')
      .select(['event_id', 'topic', 'key'])
      .where('key', '=', subject)
      .execute();
  const insert = (overrides: Partial<Doctor> = {}) => {
    const doctor = makeDoctor(overrides);
    return store.insert(doctor, registered);
  };

  beforeAll(async () => {
    database = await backend.open(backend.newNamespace());
    await runMigrations(database, [eventKitMigrations, doctorMigrations]);
    store = createSqlDoctorStore(database);
  }, setupTimeoutMs);

  afterAll(async () => {
    await backend.dispose();
  }, 60_000);

  describe(`doctor store contract: ${backend.name}`, () => {
    it('stores a doctor and reads every field back unchanged, with its event in the outbox', async () => {
      const doctor = makeDoctor({ name: { given: ['Zoë', 'Ana-Maria'], family: `Ñúñez${tag()}` } });
      expect(await store.insert(doctor, registered)).toEqual(doctor);
      expect(await store.findByIds([doctor.id])).toEqual([doctor]);
      const rows = await outboxRows(doctor.id);
      expect(rows).toEqual([{ event_id: expect.any(String), topic: doctorTopic, key: doctor.id }]);
    });

    it('finds several doctors in one call, ignoring unknown and repeated ids', async () => {
      const [a, b] = [await insert(), await insert()];
      const found = await store.findByIds([a.id, b.id, a.id, uuidv7()]);
      expect(found.map((doctor) => doctor.id).sort()).toEqual([a.id, b.id].sort());
      expect(await store.findByIds([])).toEqual([]);
    });

    it('refuses a taken license number with CONFLICT naming the field, writing neither row nor event', async () => {
      const first = await insert();
      const second = makeDoctor({ licenseNumber: first.licenseNumber });
      const error = await caught(store.insert(second, registered));
      expect(isAppError(error) && error.code).toBe('CONFLICT');
      expect((error as AppError).details).toEqual({ field: 'licenseNumber' });
      expect(await store.findByIds([second.id])).toEqual([]);
      expect(await outboxRows(second.id)).toEqual([]);
    });

    it('commits the doctor and its events together: a failed event write leaves no doctor', async () => {
      const first = await insert();
      const [firstEvent] = await outboxRows(first.id);
      const doctor = makeDoctor();
      // The outbox refuses a repeated event id, so the second statement of the transaction fails.
      const [event] = registered(doctor);
      if (!event || !firstEvent) throw new Error('no event');
      const clash = { ...event, event: { ...event.event, id: firstEvent.event_id } };
      // Refused for the clashing event id (the outbox's unique key), not for anything about the doctor.
      const error = await caught(store.insert(doctor, () => [clash]));
      expect(isUniqueViolation(error)).toBe(true);
      expect(isAppError(error)).toBe(false);
      expect(await store.findByIds([doctor.id])).toEqual([]);
      expect(await outboxRows(doctor.id)).toEqual([]);
    });

    it('updates with the current version, replacing fields, specialties, hours and name tokens', async () => {
      const doctor = await insert({ specialties: [`Old${tag()}`] });
      const newSpecialty = `New${tag()}`;
      const next: Doctor = {
        ...doctor,
        name: { given: ['Cristina'], family: `Yang${tag()}` },
        specialties: [newSpecialty],
        workingHours: [{ weekday: 'SUN', start: '00:00', end: '06:30' }],
        consultationFee: { amount: 0, currency: 'JPY' },
        version: 2,
        updatedAt: new Date('2026-11-03T10:00:00.456Z'),
      };
      const events = (saved: Doctor) => [
        outgoing(doctorUpdated, {
          source: 'urn:test',
          subject: saved.id,
          data: { doctor: toSnapshot(saved), changed: ['name'] },
        }),
      ];
      expect(await store.update(next, 1, events)).toEqual(next);
      expect(await store.findByIds([doctor.id])).toEqual([next]);
      expect(await outboxRows(doctor.id)).toHaveLength(2);
      expect(await store.count({ specialty: doctor.specialties[0] ?? '' })).toBe(0);
      const byNew = await store.search({ specialty: newSpecialty, name: 'cristina' }, 10, undefined);
      expect(byNew.doctors.map((entry) => entry.doctor.id)).toEqual([doctor.id]);
    });

    it('refuses a stale version with CONFLICT carrying the current one, and writes no event', async () => {
      const doctor = await insert();
      const next = { ...doctor, version: 2 };
      await store.update(next, 1, () => []);
      const error = await caught(store.update({ ...doctor, version: 2 }, 1, registered));
      expect(isAppError(error) && error.code).toBe('CONFLICT');
      expect((error as AppError).details).toEqual({
        rule: 'STALE_VERSION',
        field: 'expectedVersion',
        currentVersion: 2,
      });
      expect(await outboxRows(doctor.id)).toHaveLength(1);
    });

    it('answers undefined when updating a doctor that does not exist', async () => {
      expect(await store.update(makeDoctor({ version: 2 }), 1, registered)).toBeUndefined();
    });

    it('refuses an update to a license another doctor holds', async () => {
      const [a, b] = [await insert(), await insert()];
      const error = await caught(
        store.update({ ...b, licenseNumber: a.licenseNumber, version: 2 }, 1, () => []),
      );
      expect((error as AppError).details).toEqual({ field: 'licenseNumber' });
      expect((await store.findByIds([b.id]))[0]?.licenseNumber).toBe(b.licenseNumber);
    });

    it('filters by specialty (exact, any case), activity and name prefix (given or family, any case)', async () => {
      const specialty = `Cardiology${tag()}`;
      const family = `Burke${tag()}`;
      const preston = await insert({
        name: { given: ['Preston'], family },
        specialties: [specialty, 'Surgery'],
      });
      const addison = await insert({
        name: { given: ['Addison'], family: `Montgomery${tag()}` },
        specialties: [specialty],
      });
      await insert({ name: { given: ['Preston'], family }, specialties: [`${specialty}x`] });
      const retired = await insert({
        name: { given: ['Richard'], family },
        specialties: [specialty],
        active: false,
      });
      const ids = async (filter: Parameters<DoctorStore['search']>[0]) =>
        (await store.search(filter, 100, undefined)).doctors.map((entry) => entry.doctor.id).sort();

      expect(await ids({ specialty: specialty.toUpperCase() })).toEqual(
        [preston.id, addison.id, retired.id].sort(),
      );
      expect(await ids({ specialty: specialty.slice(0, -2) })).toEqual([]);
      expect(await ids({ specialty, active: true })).toEqual([preston.id, addison.id].sort());
      expect(await ids({ specialty, active: false })).toEqual([retired.id]);
      expect(await ids({ specialty, name: 'PRES' })).toEqual([preston.id]);
      expect(await ids({ specialty, name: family.slice(0, 7).toLowerCase() })).toEqual(
        [preston.id, retired.id].sort(),
      );
      expect(await ids({ specialty, name: 'eston' })).toEqual([]);
      expect(await ids({ specialty, name: '%' })).toEqual([]);
    });

    it('pages by (family, given, id) with a cursor, counting every match', async () => {
      const specialty = `Paging${tag()}`;
      // Family first: "Ng Zoe" comes before "Nga Adam" although "ngzoe" > "ngaadam".
      const names = [
        ['Zoe', 'Ng'],
        ['Adam', 'Nga'],
        ['Bea', 'Nga'],
        ['Bea', 'Nga'],
        ['Cy', 'Nga'],
        ['Al', 'Ngb'],
        ['Al', 'Ngc'],
      ] as const;
      for (const [given, family] of names)
        await insert({ name: { given: [given], family }, specialties: [specialty] });
      const seen: string[] = [];
      const ids = new Set<string>();
      let after: Awaited<ReturnType<DoctorStore['search']>>['doctors'][number]['cursor'] | undefined;
      for (let page = 0; page < 5; page++) {
        const result = await store.search({ specialty }, 3, after);
        expect(await store.count({ specialty })).toBe(7);
        for (const { doctor } of result.doctors) {
          seen.push(`${doctor.name.given[0]} ${doctor.name.family}`);
          ids.add(doctor.id);
        }
        after = result.doctors.at(-1)?.cursor;
        if (!result.hasNextPage) break;
      }
      expect(seen).toEqual(['Zoe Ng', 'Adam Nga', 'Bea Nga', 'Bea Nga', 'Cy Nga', 'Al Ngb', 'Al Ngc']);
      expect(ids.size).toBe(7);
    });
  });
}
