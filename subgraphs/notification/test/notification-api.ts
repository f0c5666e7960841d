import {
  type AppointmentSnapshot,
  appointmentBooked,
  type ObservationSnapshot,
  observationRecorded,
} from '@hsg/contracts';
import { silentLogger } from '@hsg/kit';
import { type CloudEvent, type InboxOutcome, sqlInbox } from '@hsg/kit/events';
import { type EventBackend, errorCode, type GraphQLResponse } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { v4 as uuidv4 } from 'uuid';
import { inboxGroupFor, notificationSubscriptions } from '../src/consumer.ts';
import { formatAppointmentTime } from '../src/messages.ts';
import { eventOf } from './feed.ts';
import { type Harness, NOTIFICATION_FIELDS, startHarness } from './harness.ts';

const HOUR = 60 * 60_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

interface Connection {
  totalCount: number;
  edges: Array<{ cursor: string; node: { id: string; kind: string; status: string } }>;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const connectionOf = (response: GraphQLResponse) => {
  expect(response.errors).toBeUndefined();
  return response.data?.notifications as Connection;
};

/** The subgraph's public contract and its event-driven notifications, on each store + transport pair. */
export function describeNotificationApi(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  let h: Harness;
  const list = (patientId: string, first = 20, after?: string) =>
    h.gql(
      `query ($p: ID!, $first: Int, $after: String) { notifications(patientId: $p, first: $first, after: $after) {
         totalCount edges { cursor node { ${NOTIFICATION_FIELDS} } }
         pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
      { p: patientId, first, after },
    );

  beforeAll(async () => {
    h = await startHarness(backend);
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await backend.dispose();
  }, 60_000);

  describe(`notification subgraph on ${backend.name}`, () => {
    describe('appointments', () => {
      it('tells the patient of a booking, in the doctor’s time zone, and the development outbox marks it SENT', async () => {
        const parties = await h.parties({}, { timeZone: 'America/New_York' });
        const appointmentId = h.feed.newId();
        const start = at(48 * HOUR);
        const booked = await h.feed.book(appointmentId, parties, { start });
        const row = await h.notificationOf(booked.id);
        expect(row).toMatchObject({
          kind: 'APPOINTMENT_BOOKED',
          patient_id: parties.patientId,
          recipient_kind: 'PATIENT',
          recipient_id: parties.patientId,
          subject: 'Your appointment is booked',
        });
        expect(row.body).toContain(formatAppointmentTime(start, 'America/New_York'));
        expect(row.body).toContain(appointmentId);
        expect(row.body).not.toContain('check-up'); // the visit's reason is health data: never in a message
        const sent = await h.settled(row.id);
        expect(sent).toMatchObject({ status: 'SENT', channel: 'OUTBOX', attempts: 1, last_error: null });
        const page = connectionOf(await list(parties.patientId));
        expect(page.edges.map((edge) => edge.node)).toEqual([
          {
            id: row.id,
            kind: 'APPOINTMENT_BOOKED',
            patient: { id: parties.patientId },
            recipient: { kind: 'PATIENT', id: parties.patientId },
            channel: 'OUTBOX',
            status: 'SENT',
            subject: 'Your appointment is booked',
            body: row.body,
            createdAt: expect.any(String),
            sentAt: expect.any(String),
            attempts: 1,
          },
        ]);
      });

      it('tells the patient of a reschedule and a cancellation, one notification each', async () => {
        const parties = await h.parties();
        const appointmentId = h.feed.newId();
        const first = at(24 * HOUR);
        const second = at(72 * HOUR);
        await h.feed.book(appointmentId, parties, { start: first });
        const moved = await h.notificationOf(
          (await h.feed.reschedule(appointmentId, parties, first, second)).id,
        );
        expect(moved).toMatchObject({
          kind: 'APPOINTMENT_RESCHEDULED',
          recipient_kind: 'PATIENT',
          recipient_id: parties.patientId,
          subject: 'Your appointment has been moved',
        });
        expect(moved.body).toContain(`${formatAppointmentTime(first, 'Europe/Berlin')} has been moved to`);
        expect(moved.body).toContain(formatAppointmentTime(second, 'Europe/Berlin'));
        const cancelled = await h.notificationOf((await h.feed.cancel(appointmentId, parties, second)).id);
        expect(cancelled).toMatchObject({
          kind: 'APPOINTMENT_CANCELLED',
          recipient_kind: 'PATIENT',
          subject: 'Your appointment has been cancelled',
        });
        expect(connectionOf(await list(parties.patientId)).edges.map((edge) => edge.node.kind)).toEqual([
          'APPOINTMENT_CANCELLED',
          'APPOINTMENT_RESCHEDULED',
          'APPOINTMENT_BOOKED',
        ]);
      });

      it('tells nobody of a completion, of a visit recorded after its start, or of a deactivated patient’s cancellations', async () => {
        const parties = await h.parties();
        const past = at(-2 * HOUR);
        const events = [
          await h.feed.complete(h.feed.newId(), parties, past),
          await h.feed.book(h.feed.newId(), parties, { start: past }),
          await h.feed.cancel(h.feed.newId(), parties, past),
          await h.feed.cancel(h.feed.newId(), parties, at(24 * HOUR), 'PATIENT_DEACTIVATED'),
        ];
        for (const event of events) {
          await h.applied(event.id);
          expect(await h.notificationsOf(event.id)).toEqual([]);
        }
        // A doctor's deactivation cancels on the patient's behalf: they hear of it.
        const byDoctor = await h.feed.cancel(h.feed.newId(), parties, at(24 * HOUR), 'DOCTOR_DEACTIVATED');
        expect((await h.notificationOf(byDoctor.id)).kind).toBe('APPOINTMENT_CANCELLED');
      });
    });

    describe('critical results', () => {
      it('go to the ordering doctor matched by license number, with the MRN and no values or names', async () => {
        const parties = await h.parties();
        const observationId = h.feed.newId();
        const recorded = await h.feed.record(observationId, parties.patientId, {
          source: {
            sendingFacility: 'TEST-LAB',
            messageId: uuidv4(),
            placerOrder: 'ORD-9',
            fillerOrder: null,
            orderingProvider: {
              identifier: ` ${parties.licenseNumber.toLowerCase()} `,
              name: 'Hopper^Grace',
            },
          },
        });
        const row = await h.notificationOf(recorded.id);
        expect(row).toMatchObject({
          kind: 'CRITICAL_RESULT',
          patient_id: parties.patientId,
          recipient_kind: 'DOCTOR',
          recipient_id: parties.doctorId,
          subject: 'Critical lab result waiting for review',
        });
        expect(row.body).toContain(`A critical lab result is waiting for patient MRN ${parties.mrn}.`);
        expect(row.body).toContain(`ordering doctor (license ${parties.licenseNumber.toUpperCase()})`);
        for (const secret of ['Potassium', '2823-3', 'Ada', 'Example', 'Hopper', 'Grace'])
          expect(`${row.subject}\n${row.body}`).not.toContain(secret);
        expect(row.subject).not.toContain(parties.mrn);
        expect((await h.settled(row.id)).status).toBe('SENT');
      });

      it("fall back to the doctor of the patient's most recent kept appointment when the ordering provider is unknown", async () => {
        const parties = await h.parties();
        const doctor = async () => (await h.parties()).doctorId;
        const [older, latest, cancelledOne, future] = [
          await doctor(),
          await doctor(),
          await doctor(),
          await doctor(),
        ];
        const events = [
          await h.feed.complete(h.feed.newId(), { ...parties, doctorId: older }, at(-72 * HOUR)),
          await h.feed.complete(h.feed.newId(), { ...parties, doctorId: latest }, at(-24 * HOUR)),
          await h.feed.cancel(h.feed.newId(), { ...parties, doctorId: cancelledOne }, at(-2 * HOUR)),
          await h.feed.book(h.feed.newId(), { ...parties, doctorId: future }, { start: at(24 * HOUR) }),
        ];
        for (const event of events) await h.applied(event.id);
        const unmatched = await h.feed.record(h.feed.newId(), parties.patientId, {
          source: {
            sendingFacility: 'TEST-LAB',
            messageId: uuidv4(),
            placerOrder: null,
            fillerOrder: null,
            orderingProvider: { identifier: 'NO-SUCH-LICENSE', name: null },
          },
        });
        const none = await h.feed.record(h.feed.newId(), parties.patientId); // no ordering provider at all
        for (const event of [unmatched, none])
          expect(await h.notificationOf(event.id)).toMatchObject({
            kind: 'CRITICAL_RESULT',
            recipient_kind: 'DOCTOR',
            recipient_id: latest,
            body: expect.stringContaining("doctor of the patient's most recent appointment"),
          });
      });

      it('fall back to the clinic when no doctor can be found, naming the patient by record id until the MRN is known', async () => {
        const patientId = h.feed.newId(); // never registered here, no appointments
        const row = await h.notificationOf((await h.feed.record(h.feed.newId(), patientId)).id);
        expect(row).toMatchObject({ kind: 'CRITICAL_RESULT', recipient_kind: 'CLINIC', recipient_id: null });
        expect(row.body).toContain(`the patient with record id ${patientId}`);
        expect(row.body).toContain('No ordering doctor could be determined');
        const page = connectionOf(await list(patientId));
        expect(page.edges[0]?.node).toMatchObject({
          kind: 'CRITICAL_RESULT',
          recipient: { kind: 'CLINIC', id: null },
        });
      });

      it('are not made for non-critical or withdrawn results; a correction notifies only when it makes a result critical', async () => {
        const parties = await h.parties();
        const normal = await h.feed.record(h.feed.newId(), parties.patientId, {
          critical: false,
          abnormal: false,
        });
        const withdrawn = await h.feed.record(h.feed.newId(), parties.patientId, {
          status: 'ENTERED_IN_ERROR',
        });
        for (const event of [normal, withdrawn]) {
          await h.applied(event.id);
          expect(await h.notificationsOf(event.id)).toEqual([]);
        }
        const observationId = h.feed.newId();
        const v1 = await h.feed.record(observationId, parties.patientId, { critical: false });
        const v2 = await h.feed.correct(
          observationId,
          parties.patientId,
          { version: 1, status: 'FINAL' },
          { version: 2 },
        );
        const v3 = await h.feed.correct(
          observationId,
          parties.patientId,
          { version: 2, status: 'CORRECTED' },
          { version: 3 },
        );
        await h.applied(v1.id);
        expect(await h.notificationsOf(v1.id)).toEqual([]);
        expect((await h.notificationOf(v2.id)).kind).toBe('CRITICAL_RESULT');
        await h.applied(v3.id); // critical before already: notified once, at v2
        expect(await h.notificationsOf(v3.id)).toEqual([]);
      });
    });

    describe('exactly once', () => {
      it('makes one notification of an event delivered twice', async () => {
        const parties = await h.parties();
        const appointmentId = h.feed.newId();
        const booked = await h.feed.book(appointmentId, parties);
        await h.applied(booked.id);
        await h.feed.resend(booked);
        await h.feed.resend(booked);
        // A later event of the same key applied means the redeliveries before it were seen.
        const later = await h.feed.cancel(appointmentId, parties, booked.data.appointment.start);
        await h.applied(later.id);
        expect(await h.notificationsOf(booked.id)).toHaveLength(1);
        expect(h.service.workers.inbox.stats().duplicates).toBeGreaterThanOrEqual(2);
      });

      it.each([
        ['an appointment booked', 'APPOINTMENT_BOOKED'],
        ['a critical result', 'CRITICAL_RESULT'],
      ])(
        'makes one notification of %s delivered concurrently, in one consumer group and in several',
        async (_what, kind) => {
          const parties = await h.parties();
          const event: CloudEvent<unknown> =
            kind === 'CRITICAL_RESULT'
              ? eventOf(observationRecorded, parties.patientId, {
                  observation: h.feed.observationSnapshot(
                    h.feed.newId(),
                    parties.patientId,
                  ) as ObservationSnapshot,
                })
              : eventOf(appointmentBooked, parties.patientId, {
                  appointment: h.feed.appointmentSnapshot(h.feed.newId(), parties) as AppointmentSnapshot,
                });
          const subscription = notificationSubscriptions({
            database: h.database,
            clock: () => new Date(),
            logger: silentLogger(),
            maxEventAgeMs: HOUR,
          }).find((candidate) => candidate.definition.type === event.type);
          if (!subscription) throw new Error(`no subscription for ${event.type}`);
          const inbox = sqlInbox(h.database);
          const deliver = (groupId: string) =>
            inbox.deliver({ groupId, eventId: event.id }, (trx) => subscription.handle(event, trx));
          const sameGroup = inboxGroupFor(h.database);
          const outcomes: InboxOutcome[] = await Promise.all([
            ...Array.from({ length: 8 }, () => deliver(sameGroup)),
            ...Array.from({ length: 4 }, (_, index) => deliver(`${sameGroup}.replay${index}`)),
          ]);
          expect(outcomes.slice(0, 8).filter((outcome) => outcome === 'applied')).toHaveLength(1);
          expect(outcomes.slice(8)).toEqual(['applied', 'applied', 'applied', 'applied']); // the unique key held
          const rows = await h.notificationsOf(event.id);
          expect(rows.map((row) => row.kind)).toEqual([kind]);
        },
        60_000,
      );
    });

    describe('reads', () => {
      it('pages a patient’s notifications newest first with cursors, and refuses bad paging arguments', async () => {
        const parties = await h.parties();
        const ids: string[] = [];
        for (let index = 0; index < 3; index++)
          ids.push((await h.notificationOf((await h.feed.book(h.feed.newId(), parties)).id)).id);
        const first = connectionOf(await list(parties.patientId, 2));
        expect(first.totalCount).toBe(3);
        expect(first.edges.map((edge) => edge.node.id)).toEqual([ids[2], ids[1]]);
        expect(first.pageInfo).toMatchObject({
          hasNextPage: true,
          hasPreviousPage: false,
          startCursor: first.edges[0]?.cursor,
          endCursor: first.edges[1]?.cursor,
        });
        const rest = connectionOf(await list(parties.patientId, 2, first.pageInfo.endCursor ?? undefined));
        expect(rest.edges.map((edge) => edge.node.id)).toEqual([ids[0]]);
        expect(rest.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
        expect(rest.totalCount).toBe(3);
        for (const [first, after, field] of [
          [0, undefined, 'first'],
          [101, undefined, 'first'],
          [5, 'garbage', 'after'],
        ] as const) {
          const refused = await list(parties.patientId, first, after);
          expect(errorCode(refused)).toBe('BAD_USER_INPUT');
          expect(refused.errors?.[0]?.extensions).toMatchObject({ field });
        }
        // A patient with nothing, an id that is no UUID: an empty page.
        for (const nobody of [uuidv4(), 'not-an-id'])
          expect(connectionOf(await list(nobody))).toMatchObject({ totalCount: 0, edges: [] });
      });

      it('makes one store call per kind of lookup per request, for 1 and for 20 parents', async () => {
        const patients: string[] = [];
        const notifications: string[] = [];
        for (let index = 0; index < 20; index++) {
          const parties = await h.parties();
          patients.push(parties.patientId);
          notifications.push((await h.notificationOf((await h.feed.book(h.feed.newId(), parties)).id)).id);
        }
        const query = `query ($p: [_Any!]!, $n: [_Any!]!) {
          patients: _entities(representations: $p) { ... on Patient { notifications(first: 5) { totalCount edges { node { id } } } } }
          notifications: _entities(representations: $n) { ... on Notification { id kind patient { id } } } }`;
        for (const count of [1, 20]) {
          h.calls.clear();
          const response = await h.gql(query, {
            p: patients.slice(0, count).map((id) => ({ __typename: 'Patient', id })),
            n: notifications.slice(0, count).map((id) => ({ __typename: 'Notification', id })),
          });
          expect(response.errors).toBeUndefined();
          const data = response.data as Record<string, Array<Record<string, unknown>>>;
          expect(data.notifications?.map((item) => item.id)).toEqual(notifications.slice(0, count));
          expect(
            data.patients?.map((item) =>
              (item.notifications as Connection).edges.map((edge) => edge.node.id),
            ),
          ).toEqual(notifications.slice(0, count).map((id) => [id]));
          expect(Object.fromEntries(h.calls)).toEqual({
            notificationsByIds: 1,
            listByPatients: 1,
            countByPatients: 1,
          });
        }
      }, 180_000);
    });
  });
}
