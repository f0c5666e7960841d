import type { AuditRecorded, AuditRequest } from '@hsg/contracts';
import { auditTopic } from '@hsg/contracts';
import type { CloudEvent } from '@hsg/kit/events';
import type { EventBackend, TokenRequest } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Kysely, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { berlin, type Harness, startHarness } from './harness.ts';

/**
 * ADR 0017 for the appointment subgraph: an appointment is its patient's data. Every request that reads,
 * writes or is refused one leaves exactly one `audit.recorded` row in the subgraph's outbox before its
 * answer; a change's record commits in the change's own transaction.
 */
export function describeAppointmentAudit(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  describe(`the appointment subgraph audits patient data on ${backend.name} (ADR 0017)`, () => {
    let h: Harness;
    let one: { patientId: string; doctorId: string };
    let two: { patientId: string; doctorId: string };
    const visits: Record<'p1' | 'p2', string> = { p1: '', p2: '' };
    const DAY = '2026-03-12';

    beforeAll(async () => {
      h = await startHarness(backend);
      one = await h.parties();
      two = await h.parties();
      visits.p1 = (await h.booked({ ...one, start: berlin(DAY, '09:00'), durationMinutes: 30 })).id;
      visits.p2 = (
        await h.booked({ ...two, doctorId: one.doctorId, start: berlin(DAY, '10:00'), durationMinutes: 30 })
      ).id;
    }, 180_000);

    afterAll(async () => {
      await h?.stop();
      await backend.dispose();
    }, 60_000);

    interface OutboxRow {
      seq: number;
      topic: string;
      key: string;
      payload: string;
      tx: string;
    }
    const outbox = () =>
      (h.database.db as Kysely<{ kit_outbox: OutboxRow }>)
        .selectFrom('kit_outbox')
        .select(['seq', 'topic', 'key', 'payload', sql<string>`xmin::text`.as('tx')]);
    /** The audit rows of one user (their id is the rows' key), oldest first. */
    const auditRows = async (userId: string) =>
      (await outbox().where('topic', '=', auditTopic).orderBy('seq').execute()).flatMap((row) =>
        (JSON.parse(row.payload) as CloudEvent<AuditRecorded>).data.requests
          .filter((request) => request.userId === userId)
          .map((data) => ({ tx: row.tx, data })),
      );
    const caller = (role: TokenRequest['role'], link: Partial<TokenRequest> = {}) => ({
      role,
      userId: uuidv7(),
      ...link,
    });
    const as = async (who: TokenRequest, query: string, variables?: Record<string, unknown>) =>
      h.gql(query, variables, await h.keys.headersFor(who));

    it("records a booking in the booking's own transaction, and nothing after it", async () => {
      const desk = caller('FRONT_DESK');
      const booked = await as(
        desk,
        'mutation Book($input: BookAppointmentInput!) { bookAppointment(input: $input) { id start status } }',
        { input: { ...two, start: berlin(DAY, '11:00'), durationMinutes: 30 } },
      );
      const appointment = booked.data?.bookAppointment as { id: string };
      expect(appointment.id).toBeDefined();
      const rows = await auditRows(desk.userId);
      expect(rows.map((row) => row.data)).toEqual([
        {
          subgraph: 'appointment',
          userId: desk.userId,
          role: 'FRONT_DESK',
          operationName: 'Book',
          operationType: 'WRITE',
          at: expect.any(String),
          traceId: null,
          records: [
            {
              patientId: two.patientId,
              outcome: 'ALLOWED',
              fields: ['Appointment.id', 'Appointment.start', 'Appointment.status'],
              rootFields: ['bookAppointment'],
            },
          ],
        },
      ]);
      // Both rows exist; that they are one commit shows below, where a failed booking leaves neither. (Their
      // xmin cannot tell: the relay updates each row when it publishes it, in a transaction of its own.)
      await outbox()
        .where('topic', '=', 'appointment.events')
        .where('key', '=', appointment.id)
        .executeTakeFirstOrThrow();

      // A booking that fails writes nothing, not even in part: its record rolled back with it.
      const late = caller('FRONT_DESK');
      const overlap = await as(
        late,
        'mutation Again($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }',
        {
          input: { ...one, start: berlin(DAY, '09:00'), durationMinutes: 30 },
        },
      );
      expect(overlap.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(await auditRows(late.userId)).toEqual([]);
    }, 60_000);

    it('records reads through every path: one row per request, one record per patient', async () => {
      const desk = caller('FRONT_DESK');
      const filter = { from: berlin(DAY, '00:00'), to: berlin(DAY, '10:30') };
      await as(
        desk,
        'query Day($filter: AppointmentFilter) { appointments(filter: $filter) { edges { node { id start patient { id } } } } }',
        {
          filter,
        },
      );
      await as(
        desk,
        `query Chart__appointment__0($r: [_Any!]!) { _entities(representations: $r) {
         ... on Patient { appointments { totalCount edges { node { status } } } }
         ... on Appointment { reason } } }`,
        {
          r: [
            { __typename: 'Patient', id: one.patientId },
            { __typename: 'Appointment', id: visits.p2 },
          ],
        },
      );
      await as(
        desk,
        `query ($d: Date!) { _entities(representations: [{ __typename: "Doctor", id: "${one.doctorId}" }]) {
      ... on Doctor { availableSlots(date: $d, durationMinutes: 30) { start } } } }`,
        { d: DAY },
      );
      const rows = await auditRows(desk.userId);
      const byPatient = (records: AuditRequest['records']) =>
        [...records].sort((a, b) => String(a.patientId).localeCompare(String(b.patientId)));
      expect(rows.map((row) => [row.data.operationName, row.data.operationType, row.data.records])).toEqual([
        [
          'Day',
          'READ',
          byPatient([
            {
              patientId: one.patientId,
              outcome: 'ALLOWED',
              fields: ['Appointment.id', 'Appointment.patient', 'Appointment.start'],
              rootFields: ['appointments'],
            },
            {
              patientId: two.patientId,
              outcome: 'ALLOWED',
              fields: ['Appointment.id', 'Appointment.patient', 'Appointment.start'],
              rootFields: ['appointments'],
            },
          ]),
        ],
        [
          'Chart__appointment__0',
          'READ',
          byPatient([
            {
              patientId: one.patientId,
              outcome: 'ALLOWED',
              fields: ['Appointment.status'],
              rootFields: ['_entities'],
            },
            {
              patientId: two.patientId,
              outcome: 'ALLOWED',
              fields: ['Appointment.reason'],
              rootFields: ['_entities'],
            },
          ]),
        ],
      ]); // and none for the free slots: no patient's data
    }, 60_000);

    it("records a patient's refusals: another's appointment, a change of it, their list; and an ADMIN's list", async () => {
      const patient = caller('PATIENT', { patientId: one.patientId });
      const read = await as(
        patient,
        `{ mine: appointment(id: "${visits.p1}") { id } theirs: appointment(id: "${visits.p2}") { id } }`,
      );
      expect(read.data).toEqual({ mine: { id: visits.p1 }, theirs: null });
      const cancel = await as(
        patient,
        `mutation Cancel { cancelAppointment(id: "${visits.p2}") { id status } }`,
      );
      expect(cancel.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      await as(
        patient,
        `{ _entities(representations: [{ __typename: "Patient", id: "${two.patientId}" }]) {
      ... on Patient { appointments { totalCount } } } }`,
      );
      const admin = caller('ADMIN');
      expect((await as(admin, '{ appointments { totalCount } }')).errors?.[0]?.extensions?.code).toBe(
        'FORBIDDEN',
      );

      expect(
        (await auditRows(patient.userId)).map((row) => [row.data.operationType, row.data.records]),
      ).toEqual([
        [
          'READ',
          [
            {
              patientId: one.patientId,
              outcome: 'ALLOWED',
              fields: ['Appointment.id'],
              rootFields: ['appointment'],
            },
            {
              patientId: two.patientId,
              outcome: 'DENIED',
              fields: ['Appointment.id'],
              rootFields: ['appointment'],
            },
          ].sort((a, b) => a.patientId.localeCompare(b.patientId)),
        ],
        [
          'WRITE',
          [
            {
              patientId: two.patientId,
              outcome: 'DENIED',
              fields: ['Appointment.id', 'Appointment.status'],
              rootFields: ['cancelAppointment'],
            },
          ],
        ],
        [
          'READ',
          [
            {
              patientId: two.patientId,
              outcome: 'DENIED',
              fields: ['Patient.appointments'],
              rootFields: ['_entities'],
            },
          ],
        ],
      ]);
      expect((await auditRows(admin.userId)).map((row) => row.data.records)).toEqual([
        [
          {
            patientId: null,
            outcome: 'DENIED',
            fields: ['Query.appointments'],
            rootFields: ['appointments'],
          },
        ],
      ]);
    }, 60_000);
  });
}
