import { appointmentTopic } from '@hsg/contracts';
import {
  collectEvents,
  type EventBackend,
  errorCode,
  type GraphQLResponse,
  setupTimeoutMs,
} from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { type Appointment, berlin, type Harness, START, startHarness } from './harness.ts';

const MON = '2026-03-02';
const TUE = '2026-03-03';
const WED = '2026-03-04';
const THU = '2026-03-05';
const FRI = '2026-03-06';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const extensionsOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions;
const entitiesOf = <T>(response: GraphQLResponse): T[] => (response.data?._entities ?? []) as T[];

/** The appointment subgraph's public contract, run on each store + transport pair (PGlite + log, Postgres + Kafka). */
export function describeAppointmentApi(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  let h: Harness;
  const booking = (ids: { patientId: string; doctorId: string }, start: string, durationMinutes = 30) => ({
    ...ids,
    start,
    durationMinutes,
  });
  const events = (subject: string, count: number) =>
    collectEvents(h.transport, appointmentTopic, subject, count);
  const reschedule = (id: string, expectedVersion: number, start: string, durationMinutes = 30) =>
    h.gql(
      `mutation ($id: ID!, $v: Int!, $start: DateTime!, $d: Int!) {
         rescheduleAppointment(id: $id, expectedVersion: $v, start: $start, durationMinutes: $d) { start end durationMinutes version } }`,
      { id, v: expectedVersion, start, d: durationMinutes },
    );
  const cancel = (id: string, reason?: string) =>
    h.gql(
      'mutation ($id: ID!, $r: String) { cancelAppointment(id: $id, reason: $r) { status cancellationReason version } }',
      {
        id,
        r: reason,
      },
    );
  /** Completing is the appointment's doctor's: sent as that clinician. */
  const complete = async (id: string, doctorId: string) =>
    h.gql(
      'mutation ($id: ID!) { completeAppointment(id: $id) { status version } }',
      { id },
      await h.keys.headersFor({ role: 'CLINICIAN', doctorId }),
    );
  const statusOf = async (id: string) =>
    (await h.gql('query ($id: ID!) { appointment(id: $id) { status cancellationReason version } }', { id }))
      .data?.appointment;

  beforeAll(async () => {
    h = await startHarness(backend);
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await backend.dispose();
  }, 60_000);

  describe(`appointment subgraph on ${backend.name}`, () => {
    it('books inside working hours, finds it by id, and publishes appointment.booked with the trace context', async () => {
      const ids = await h.parties();
      const response = await h.book(
        { ...booking(ids, berlin(MON, '10:00')), reason: '  check-up ' },
        { traceparent: TRACEPARENT },
      );
      expect(response.errors).toBeUndefined();
      const appointment = response.data?.bookAppointment as Appointment;
      expect(appointment).toEqual({
        id: expect.any(String),
        start: '2026-03-02T09:00:00.000Z',
        end: '2026-03-02T09:30:00.000Z',
        durationMinutes: 30,
        status: 'BOOKED',
        reason: 'check-up',
        cancellationReason: null,
        version: 1,
        patient: { id: ids.patientId },
        doctor: { id: ids.doctorId },
      });
      const byId = await h.gql('query ($id: ID!) { appointment(id: $id) { id status } }', {
        id: appointment.id,
      });
      expect(byId.data?.appointment).toEqual({ id: appointment.id, status: 'BOOKED' });
      const [published] = await events(appointment.id, 1);
      expect(published?.key).toBe(appointment.id);
      expect(published?.event).toMatchObject({
        type: 'appointment.booked',
        source: 'urn:hsg:subgraph:appointment',
        subject: appointment.id,
        traceparent: TRACEPARENT,
        data: { appointment: { id: appointment.id, ...ids, status: 'BOOKED', start: appointment.start } },
      });
    }, 60_000);

    it('answers null for an unknown or malformed appointment id', async () => {
      const response = await h.gql(
        `{ a: appointment(id: "${uuidv4()}") { id } b: appointment(id: "nope") { id } }`,
      );
      expect(response).toEqual({ data: { a: null, b: null } });
    });

    describe('booking rules', () => {
      let ids: { patientId: string; doctorId: string };
      beforeAll(async () => {
        ids = await h.parties();
      }, setupTimeoutMs);

      it.each([
        [
          'a duration under 5 minutes',
          berlin(MON, '10:00'),
          4,
          'DURATION_OUT_OF_RANGE',
          'input.durationMinutes',
        ],
        [
          'a duration over 8 hours',
          berlin(MON, '08:00'),
          481,
          'DURATION_OUT_OF_RANGE',
          'input.durationMinutes',
        ],
        ['a start in the past', berlin(MON, '06:30'), 30, 'IN_THE_PAST', 'input.start'],
        ['a start before the working day', berlin(MON, '07:30'), 30, 'OUTSIDE_WORKING_HOURS', 'input.start'],
        ['a start in the lunch break', berlin(MON, '12:00'), 30, 'OUTSIDE_WORKING_HOURS', 'input.start'],
        ['an end past the working range', berlin(MON, '11:45'), 30, 'OUTSIDE_WORKING_HOURS', 'input.start'],
        ['a Saturday', berlin('2026-03-07', '10:00'), 30, 'OUTSIDE_WORKING_HOURS', 'input.start'],
      ])('refuses %s with BAD_USER_INPUT naming the rule', async (_case, start, minutes, rule, field) => {
        const response = await h.book(booking(ids, start, minutes));
        expect(extensionsOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', rule, field });
        expect(response.errors?.[0]?.message).toContain(rule);
      });

      it('reads working hours in the doctor’s time zone', async () => {
        const tokyo = await h.parties({ timeZone: 'Asia/Tokyo' });
        // 09:00 in Tokyo is 00:00 UTC (01:00 in Berlin, when a Berlin doctor does not work).
        expect((await h.book(booking(tokyo, '2026-03-03T00:00:00Z'))).errors).toBeUndefined();
        expect(extensionsOf(await h.book(booking(tokyo, berlin(TUE, '10:00'))))).toMatchObject({
          rule: 'OUTSIDE_WORKING_HOURS',
        });
      });
    });

    it('refuses an inactive patient or doctor; an older snapshot arriving late does not revive them', async () => {
      const ids = await h.parties();
      await h.feed.deactivatePatient(ids.patientId, 2);
      await h.projected('patient', ids.patientId, 2);
      expect(extensionsOf(await h.book(booking(ids, berlin(TUE, '09:00'))))).toMatchObject({
        code: 'BAD_USER_INPUT',
        rule: 'PATIENT_INACTIVE',
      });
      await h.applied(await h.feed.updatePatient(ids.patientId, { version: 1, active: true }));
      expect(extensionsOf(await h.book(booking(ids, berlin(TUE, '09:00'))))).toMatchObject({
        rule: 'PATIENT_INACTIVE',
      });

      const other = await h.parties();
      await h.feed.deactivateDoctor(other.doctorId, 2);
      await h.projected('doctor', other.doctorId, 2);
      expect(extensionsOf(await h.book(booking(other, berlin(TUE, '09:00'))))).toMatchObject({
        code: 'BAD_USER_INPUT',
        rule: 'DOCTOR_INACTIVE',
      });
    });

    it('waits for a patient whose registration is still on its way, then books', async () => {
      const { doctorId } = await h.parties();
      const patientId = h.feed.newId();
      const pending = h.book(booking({ patientId, doctorId }, berlin(TUE, '10:00')));
      await h.feed.registerPatient(patientId);
      const response = await pending;
      expect(response.errors).toBeUndefined();
      expect(response.data?.bookAppointment).toMatchObject({ status: 'BOOKED', patient: { id: patientId } });
    });

    it('answers a retriable UNAVAILABLE for a recent id still missing, and *_UNKNOWN for an old or foreign one', async () => {
      const ids = await h.parties();
      const dayOld = uuidv7({ msecs: START.getTime() - 24 * 3600_000 });
      const [recent, oldPatient, foreignDoctor, malformed] = await Promise.all([
        h.book(booking({ ...ids, patientId: h.feed.newId() }, berlin(TUE, '11:00'))),
        h.book(booking({ ...ids, patientId: dayOld }, berlin(TUE, '11:00'))),
        h.book(booking({ ...ids, doctorId: uuidv4() }, berlin(TUE, '11:00'))),
        h.book(booking({ ...ids, patientId: 'nope' }, berlin(TUE, '11:00'))),
      ]);
      expect(extensionsOf(recent)).toEqual({
        code: 'UNAVAILABLE',
        retriable: true,
        rule: 'PATIENT_NOT_YET_KNOWN',
        field: 'input.patientId',
      });
      expect(recent.errors?.[0]?.message).toContain('not yet known');
      expect(extensionsOf(oldPatient)).toMatchObject({ code: 'BAD_USER_INPUT', rule: 'PATIENT_UNKNOWN' });
      expect(extensionsOf(foreignDoctor)).toMatchObject({ code: 'BAD_USER_INPUT', rule: 'DOCTOR_UNKNOWN' });
      expect(extensionsOf(malformed)).toMatchObject({ code: 'BAD_USER_INPUT', rule: 'PATIENT_UNKNOWN' });
    });

    it('lets exactly one of 20 concurrent bookings of one slot through; the others get CONFLICT naming the doctor', async () => {
      const { doctorId } = await h.parties();
      const patients = Array.from({ length: 20 }, () => h.feed.newId());
      for (const id of patients) await h.feed.registerPatient(id);
      for (const id of patients) await h.projected('patient', id);
      const responses = await Promise.all(
        patients.map((patientId) => h.book(booking({ patientId, doctorId }, berlin(WED, '10:00')))),
      );
      expect(responses.filter((response) => response.errors === undefined)).toHaveLength(1);
      const conflicts = responses.filter((response) => errorCode(response) === 'CONFLICT');
      expect(conflicts).toHaveLength(19);
      for (const response of conflicts)
        expect(extensionsOf(response)).toMatchObject({ rule: 'DOCTOR_OVERLAP', taken: 'doctor' });
    }, 60_000);

    it('refuses a patient’s overlapping booking with another doctor, allows back-to-back ones, and frees a cancelled slot', async () => {
      const ids = await h.parties();
      const second = await h.parties();
      const first = await h.booked(booking(ids, berlin(WED, '10:00')));
      const overlapping = await h.book(booking({ ...ids, doctorId: second.doctorId }, berlin(WED, '10:15')));
      expect(extensionsOf(overlapping)).toMatchObject({
        code: 'CONFLICT',
        rule: 'PATIENT_OVERLAP',
        taken: 'patient',
      });
      expect(overlapping.errors?.[0]?.message).toContain('patient');
      await h.booked(booking({ ...ids, doctorId: second.doctorId }, berlin(WED, '10:30')));
      const secondWithFirstDoctor = { ...second, doctorId: ids.doctorId };
      await h.booked(booking(secondWithFirstDoctor, berlin(WED, '09:30')));
      expect(extensionsOf(await h.book(booking(secondWithFirstDoctor, berlin(WED, '10:00'))))).toMatchObject({
        code: 'CONFLICT',
        rule: 'DOCTOR_OVERLAP',
      });
      expect((await cancel(first.id)).errors).toBeUndefined();
      await h.booked(booking(secondWithFirstDoctor, berlin(WED, '10:00')));
    });

    it('reschedules with the current version, publishing the previous time; refuses stale versions, bad times and overlaps', async () => {
      const ids = await h.parties();
      const other = await h.parties();
      const appointment = await h.booked(booking(ids, berlin(THU, '09:00')));
      const moved = await reschedule(appointment.id, 1, berlin(THU, '14:00'), 45);
      expect(moved.data?.rescheduleAppointment).toEqual({
        start: berlin(THU, '14:00'),
        end: berlin(THU, '14:45'),
        durationMinutes: 45,
        version: 2,
      });
      expect(extensionsOf(await reschedule(appointment.id, 1, berlin(THU, '15:00')))).toMatchObject({
        code: 'CONFLICT',
        rule: 'STALE_VERSION',
        field: 'expectedVersion',
        currentVersion: 2,
      });
      expect(extensionsOf(await reschedule(appointment.id, 2, berlin(THU, '12:15')))).toMatchObject({
        code: 'BAD_USER_INPUT',
        rule: 'OUTSIDE_WORKING_HOURS',
      });
      expect(extensionsOf(await reschedule(appointment.id, 2, berlin(MON, '06:00')))).toMatchObject({
        rule: 'IN_THE_PAST',
      });
      expect(extensionsOf(await reschedule(appointment.id, 2, berlin(THU, '15:00'), 4))).toMatchObject({
        rule: 'DURATION_OUT_OF_RANGE',
      });
      await h.booked(booking({ ...other, doctorId: ids.doctorId }, berlin(THU, '16:00')));
      expect(extensionsOf(await reschedule(appointment.id, 2, berlin(THU, '15:30'), 60))).toMatchObject({
        code: 'CONFLICT',
        rule: 'DOCTOR_OVERLAP',
      });
      expect(errorCode(await reschedule(uuidv4(), 1, berlin(THU, '15:00')))).toBe('NOT_FOUND');

      const published = await events(appointment.id, 2);
      expect(published.map(({ event }) => event.type)).toEqual([
        'appointment.booked',
        'appointment.rescheduled',
      ]);
      expect(published[1]?.event.data).toMatchObject({
        appointment: { start: berlin(THU, '14:00'), version: 2 },
        previous: { start: berlin(THU, '09:00'), end: berlin(THU, '09:30') },
      });

      await cancel(appointment.id);
      expect(extensionsOf(await reschedule(appointment.id, 3, berlin(THU, '15:00')))).toMatchObject({
        code: 'CONFLICT',
        rule: 'NOT_BOOKED',
        status: 'CANCELLED',
      });
    }, 60_000);

    it('cancels once (again is a no-op), completes only once started, and refuses changes to finished appointments', async () => {
      const ids = await h.parties();
      const cancelled = await h.booked(booking(ids, berlin(FRI, '09:00')));
      const first = await cancel(cancelled.id, '  patient called ');
      expect(first.data?.cancelAppointment).toEqual({
        status: 'CANCELLED',
        cancellationReason: 'patient called',
        version: 2,
      });
      expect((await cancel(cancelled.id, 'again')).data?.cancelAppointment).toEqual(
        first.data?.cancelAppointment,
      );
      const published = await events(cancelled.id, 2);
      expect(published[1]?.event).toMatchObject({
        type: 'appointment.cancelled',
        data: { cancelledBy: 'USER', appointment: { status: 'CANCELLED', version: 2 } },
      });

      const visit = await h.booked(booking(ids, berlin(FRI, '10:00')));
      expect(extensionsOf(await complete(visit.id, ids.doctorId))).toMatchObject({
        code: 'BAD_USER_INPUT',
        rule: 'NOT_STARTED',
      });
      h.setNow(new Date(berlin(FRI, '10:10')));
      try {
        expect((await complete(visit.id, ids.doctorId)).data?.completeAppointment).toEqual({
          status: 'COMPLETED',
          version: 2,
        });
        expect((await complete(visit.id, ids.doctorId)).data?.completeAppointment).toEqual({
          status: 'COMPLETED',
          version: 2,
        });
        expect(extensionsOf(await cancel(visit.id))).toMatchObject({ code: 'CONFLICT', rule: 'NOT_BOOKED' });
      } finally {
        h.setNow(START);
      }
      for (const id of [uuidv4(), 'nope']) {
        expect(errorCode(await cancel(id))).toBe('NOT_FOUND');
        expect(errorCode(await complete(id, ids.doctorId))).toBe('NOT_FOUND');
      }
    }, 60_000);

    it('cancels the future appointments of a deactivated patient or doctor, with their events', async () => {
      const ids = await h.parties();
      const other = await h.parties();
      const inProgress = await h.booked(booking(ids, berlin(MON, '13:00')));
      const future = [
        await h.booked(booking(ids, berlin(THU, '08:00'))),
        await h.booked(booking(ids, berlin(FRI, '08:00'))),
      ];
      const othersVisit = await h.booked(booking({ ...other, doctorId: ids.doctorId }, berlin(THU, '10:00')));
      h.setNow(new Date(berlin(MON, '13:10')));
      try {
        await h.feed.deactivatePatient(ids.patientId, 2);
        await h.projected('patient', ids.patientId, 2);
        for (const { id } of future) {
          expect(await statusOf(id)).toEqual({
            status: 'CANCELLED',
            cancellationReason: 'patient deactivated',
            version: 2,
          });
        }
        expect(await statusOf(inProgress.id)).toMatchObject({ status: 'BOOKED', version: 1 });
        expect(await statusOf(othersVisit.id)).toMatchObject({ status: 'BOOKED' });

        await h.feed.deactivateDoctor(ids.doctorId, 2);
        await h.projected('doctor', ids.doctorId, 2);
        expect(await statusOf(othersVisit.id)).toEqual({
          status: 'CANCELLED',
          cancellationReason: 'doctor deactivated',
          version: 2,
        });
      } finally {
        h.setNow(START);
      }
      const [patientSide, doctorSide] = await Promise.all([
        events(future[0]?.id ?? '', 2),
        events(othersVisit.id, 2),
      ]);
      expect(patientSide[1]?.event.data).toMatchObject({ cancelledBy: 'PATIENT_DEACTIVATED' });
      expect(doctorSide[1]?.event.data).toMatchObject({ cancelledBy: 'DOCTOR_DEACTIVATED' });
    }, 60_000);

    describe('lists', () => {
      const day = '2026-03-12';
      let ids: { patientId: string; doctorId: string };
      const times = ['08:00', '08:30', '09:00', '09:30', '10:00'];
      beforeAll(async () => {
        ids = await h.parties();
        const booked = [];
        for (const time of times) booked.push(await h.booked(booking(ids, berlin(day, time))));
        await cancel(booked[2]?.id ?? '');
      }, setupTimeoutMs);

      type Page = {
        totalCount: number;
        edges: Array<{ node: { start: string } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
      const PAGE = 'totalCount edges { node { start } } pageInfo { hasNextPage endCursor }';

      it('pages through a day of the clinic by (start, id) with cursors and a total', async () => {
        const seen: string[] = [];
        let after: string | null = null;
        for (let index = 0; index < 5; index++) {
          const response = await h.gql(
            `query ($from: DateTime!, $to: DateTime!, $after: String) {
               appointments(filter: { from: $from, to: $to }, first: 2, after: $after) { ${PAGE} } }`,
            { from: berlin(day, '00:00'), to: berlin('2026-03-13', '00:00'), after },
          );
          const page = response.data?.appointments as Page;
          expect(page.totalCount).toBe(5);
          seen.push(...page.edges.map((edge) => edge.node.start));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        expect(seen).toEqual(times.map((time) => berlin(day, time)));
        const booked = await h.gql(
          `query ($from: DateTime!, $to: DateTime!) {
             appointments(filter: { from: $from, to: $to, status: [BOOKED] }) { totalCount } }`,
          { from: berlin(day, '00:00'), to: berlin('2026-03-13', '00:00') },
        );
        expect(booked.data?.appointments).toEqual({ totalCount: 4 });
      });

      it('lists a patient’s and a doctor’s appointments as entity fields, paged', async () => {
        const query = `query ($r: [_Any!]!, $after: String) { _entities(representations: $r) {
            ... on Patient { appointments(filter: { status: [BOOKED] }, first: 3, after: $after) { ${PAGE} } }
            ... on Doctor { appointments(first: 3, after: $after) { ${PAGE} } } } }`;
        const representations = [
          { __typename: 'Patient', id: ids.patientId },
          { __typename: 'Doctor', id: ids.doctorId },
          { __typename: 'Patient', id: uuidv4() },
        ];
        const response = await h.gql(query, { r: representations });
        const [patient, doctor, nobody] = entitiesOf<{ appointments: Page }>(response).map(
          (entity) => entity.appointments,
        );
        expect(patient?.totalCount).toBe(4);
        expect(patient?.edges.map((edge) => edge.node.start)).toEqual(
          ['08:00', '08:30', '09:30'].map((time) => berlin(day, time)),
        );
        expect(patient?.pageInfo.hasNextPage).toBe(true);
        expect(doctor?.totalCount).toBe(5);
        expect(nobody).toEqual({
          totalCount: 0,
          edges: [],
          pageInfo: { hasNextPage: false, endCursor: null },
        });
        const next = await h.gql(query, {
          r: representations.slice(0, 1),
          after: patient?.pageInfo.endCursor,
        });
        const rest = entitiesOf<{ appointments: Page }>(next)[0]?.appointments;
        expect(rest?.edges.map((edge) => edge.node.start)).toEqual([berlin(day, '10:00')]);
        expect(rest?.pageInfo.hasNextPage).toBe(false);
      });

      it('refuses a page size outside 1..100 and a cursor it did not issue', async () => {
        for (const first of [0, 101]) {
          const response = await h.gql(
            'query ($first: Int!) { appointments(first: $first) { totalCount } }',
            { first },
          );
          expect(extensionsOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
        }
        const badCursor = await h.gql('{ appointments(after: "garbage") { totalCount } }');
        expect(extensionsOf(badCursor)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      });
    });

    describe('available slots', () => {
      let doctorId: string;
      const slotsOf = async (id: string, date: string, durationMinutes = 60) => {
        const response = await h.gql(
          `query ($r: [_Any!]!, $date: Date!, $d: Int!) { _entities(representations: $r) {
             ... on Doctor { availableSlots(date: $date, durationMinutes: $d) { start end } } } }`,
          { r: [{ __typename: 'Doctor', id }], date, d: durationMinutes },
        );
        if (response.errors) return response;
        return entitiesOf<{ availableSlots: Array<{ start: string; end: string }> }>(response)[0]
          ?.availableSlots;
      };

      beforeAll(async () => {
        ({ doctorId } = await h.parties({
          workingHours: [
            { weekday: 'SUN', start: '09:00', end: '17:00' },
            { weekday: 'MON', start: '08:00', end: '12:00' },
          ],
        }));
      }, setupTimeoutMs);

      it.each([
        ['spring-forward', '2026-03-29', '2026-03-29T07:00:00.000Z', '2026-03-29T15:00:00.000Z'],
        ['fall-back', '2026-10-25', '2026-10-25T08:00:00.000Z', '2026-10-25T16:00:00.000Z'],
      ])(
        'offers eight hours of slots on the %s day, with the right UTC offsets',
        async (_case, date, first, last) => {
          const slots = (await slotsOf(doctorId, date)) as Array<{ start: string; end: string }>;
          expect(slots).toHaveLength(29); // 09:00, 09:15, ... 16:00 local
          expect(slots[0]?.start).toBe(first);
          expect(slots.at(-1)?.end).toBe(last);
        },
      );

      it('leaves out slots overlapping a booking and slots already begun', async () => {
        const { patientId } = await h.parties();
        await h.booked({ patientId, doctorId, start: '2026-03-29T08:00:00Z', durationMinutes: 60 });
        const slots = (await slotsOf(doctorId, '2026-03-29')) as Array<{ start: string }>;
        expect(slots).toHaveLength(22);
        expect(
          slots.some(
            (slot) => slot.start > '2026-03-29T07:00:00.000Z' && slot.start < '2026-03-29T09:00:00.000Z',
          ),
        ).toBe(false);
        h.setNow(new Date(berlin(MON, '09:20')));
        try {
          const today = (await slotsOf(doctorId, MON, 30)) as Array<{ start: string }>;
          expect(today[0]?.start).toBe(berlin(MON, '09:30'));
        } finally {
          h.setNow(START);
        }
      });

      it('offers none for an unknown or inactive doctor, and refuses a bad duration', async () => {
        expect(await slotsOf(uuidv4(), '2026-03-29')).toEqual([]);
        const inactive = await h.parties({
          workingHours: [{ weekday: 'SUN', start: '09:00', end: '17:00' }],
        });
        await h.feed.deactivateDoctor(inactive.doctorId, 2);
        await h.projected('doctor', inactive.doctorId, 2);
        expect(await slotsOf(inactive.doctorId, '2026-03-29')).toEqual([]);
        expect(extensionsOf((await slotsOf(doctorId, '2026-03-29', 4)) as GraphQLResponse)).toMatchObject({
          code: 'BAD_USER_INPUT',
          rule: 'DURATION_OUT_OF_RANGE',
        });
      });
    });

    it('makes one store call per entity type per request, for 1 and for 50 parents', async () => {
      const patients = Array.from({ length: 50 }, () => h.feed.newId());
      const doctors = Array.from({ length: 50 }, () => h.feed.newId());
      for (let index = 0; index < 50; index++) {
        await h.feed.registerPatient(patients[index] ?? '');
        await h.feed.registerDoctor(doctors[index] ?? '');
      }
      for (let index = 0; index < 50; index++) {
        await h.projected('patient', patients[index] ?? '');
        await h.projected('doctor', doctors[index] ?? '');
      }
      const appointments: string[] = [];
      for (let index = 0; index < 50; index++) {
        const ids = { patientId: patients[index] ?? '', doctorId: doctors[index] ?? '' };
        appointments.push((await h.booked(booking(ids, berlin('2026-03-13', '09:00')))).id);
      }
      const query = `query ($a: [_Any!]!, $p: [_Any!]!, $d: [_Any!]!) {
        appointments: _entities(representations: $a) { ... on Appointment { id start patient { id } doctor { id } } }
        patients: _entities(representations: $p) { ... on Patient { appointments { totalCount edges { node { id } } } } }
        doctors: _entities(representations: $d) { ... on Doctor {
          appointments(first: 5) { totalCount edges { node { id } } }
          availableSlots(date: "2026-03-13", durationMinutes: 30) { start } } } }`;
      for (const count of [1, 50]) {
        h.calls.clear();
        const response = await h.gql(query, {
          a: appointments.slice(0, count).map((id) => ({ __typename: 'Appointment', id })),
          p: patients.slice(0, count).map((id) => ({ __typename: 'Patient', id })),
          d: doctors.slice(0, count).map((id) => ({ __typename: 'Doctor', id })),
        });
        expect(response.errors).toBeUndefined();
        const data = response.data as Record<string, Array<Record<string, unknown>>>;
        expect(data.appointments?.map((item) => item.id)).toEqual(appointments.slice(0, count));
        for (const patient of data.patients ?? [])
          expect(patient).toMatchObject({ appointments: { totalCount: 1 } });
        for (const doctor of data.doctors ?? []) {
          const slots = doctor.availableSlots as Array<{ start: string }>;
          expect(slots.map((slot) => slot.start)).not.toContain(berlin('2026-03-13', '09:00'));
          expect(slots.map((slot) => slot.start)).toContain(berlin('2026-03-13', '09:30'));
        }
        expect(Object.fromEntries(h.calls)).toEqual({
          findByIds: 1,
          listByParents: 2, // once for Patient.appointments, once for Doctor.appointments
          countByParents: 2, // totalCount: asked for, so counted, once per parent type
          findDoctors: 1,
          bookedIntervals: 1,
        });
      }
    }, 120_000);

    it('marks a past, never-completed appointment NO_SHOW with its event (the service’s job)', async () => {
      const ids = await h.parties();
      const appointment = await h.booked(booking(ids, berlin(MON, '14:00')));
      h.setNow(new Date(berlin(MON, '14:46'))); // ended 16 minutes ago; the suite's grace is 15
      try {
        expect(await h.service.workers.noShowJob.runOnce()).toBeGreaterThanOrEqual(1);
      } finally {
        h.setNow(START);
      }
      expect(await statusOf(appointment.id)).toMatchObject({ status: 'NO_SHOW', version: 2 });
      const published = await events(appointment.id, 2);
      expect(published.map(({ event }) => event.type)).toEqual(['appointment.booked', 'appointment.no_show']);
    }, 60_000);
  });
}
