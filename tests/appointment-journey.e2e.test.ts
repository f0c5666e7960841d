import { appointmentTopic } from '@hsg/contracts';
import { dataOf, errorCode, graphqlRequest, retryUnavailable, uniqueName, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { embeddedSystem, type RunningSystem, realSystem } from './systems.ts';

const zone = 'Europe/Berlin';
const weekdays = ['MON', 'TUE', 'WED', 'THU', 'FRI'] as const;
const workingHours = [
  ...weekdays.flatMap((weekday) => [
    { weekday, start: '08:00', end: '12:00' },
    { weekday, start: '13:00', end: '17:00' },
  ]),
  // Early on Sundays, so the hours straddle the 02:00/03:00 daylight-saving switch.
  { weekday: 'SUN', start: '01:00', end: '04:00' },
];

/** Next week's Monday in the doctor's zone: always in the future, always a working day. */
const nextMonday = () => DateTime.now().setZone(zone).plus({ weeks: 1 }).startOf('week');
const at = (day: DateTime, time: string) => {
  const [hour, minute] = time.split(':').map(Number);
  return day.set({ hour, minute }).toJSDate().toISOString(); // the DateTime scalar's own form
};

/** The next date on which the zone changes its UTC offset (a Sunday in Europe). */
function nextDstChange(): DateTime {
  let day = DateTime.now().setZone(zone).plus({ days: 1 }).startOf('day');
  while (day.startOf('day').offset === day.endOf('day').offset) day = day.plus({ days: 1 });
  return day;
}

describe.each([
  ['embedded', embeddedSystem],
  ['real', realSystem],
])('booking through the router (%s mode)', (_mode, start) => {
  let system: RunningSystem;
  // The front desk books, reschedules and cancels.
  const gql = async (query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, await system.as('FRONT_DESK'));
  const registerPatient = async (given: string) => {
    const response = await gql(
      'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      { input: { name: { given: [given], family: 'Booking' }, birthDate: '1984-02-29', gender: 'FEMALE' } },
    );
    return dataOf<{ id: string }>(response, 'registerPatient').id;
  };
  const book = (patientId: string, doctorId: string, startAt: string, durationMinutes = 30) =>
    gql(
      'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id status version start end } }',
      { input: { patientId, doctorId, start: startAt, durationMinutes, reason: 'check-up' } },
    );
  const statusOf = async (id: string) =>
    (
      (await gql('query ($id: ID!) { appointment(id: $id) { status } }', { id })).data?.appointment as {
        status: string;
      }
    )?.status;

  let patientId: string;
  let otherPatientId: string;
  let doctorId: string;

  beforeAll(async () => {
    system = await start();
    patientId = await registerPatient('Amara');
    otherPatientId = await registerPatient('Bruno');
    const doctor = await gql(
      'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id version } }',
      {
        input: {
          name: { given: ['Hana'], family: 'Tanaka' },
          licenseNumber: uniqueName('LIC').replaceAll('_', '-'), // licenses allow dashes, not underscores
          specialties: ['General practice'],
          timeZone: zone,
          workingHours,
          consultationFee: { amount: 6500, currency: 'EUR' },
        },
      },
    );
    expect(doctor.errors).toBeUndefined();
    doctorId = dataOf<{ id: string }>(doctor, 'registerDoctor').id;
  }, 180_000);
  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  it('books right after registration, rejects overlaps (one winner of 20), reschedules, cancels, and cancels a deactivated patient’s future visits', async () => {
    const monday = nextMonday();
    const booked = await retryUnavailable(() => book(patientId, doctorId, at(monday, '10:00')));
    expect(booked.errors).toBeUndefined();
    const appointment = booked.data?.bookAppointment as { id: string; status: string; version: number };
    expect(appointment).toMatchObject({ status: 'BOOKED', version: 1 });

    // Bruno's registration may still be on its way to the appointment subgraph (UNAVAILABLE until then).
    const overlapping = await retryUnavailable(() => book(otherPatientId, doctorId, at(monday, '10:15')));
    expect(errorCode(overlapping)).toBe('CONFLICT');
    const outsideHours = await book(otherPatientId, doctorId, at(monday, '12:00'));
    expect(errorCode(outsideHours)).toBe('BAD_USER_INPUT');
    const inThePast = await book(otherPatientId, doctorId, at(monday.minus({ weeks: 2 }), '10:00'));
    expect(errorCode(inThePast)).toBe('BAD_USER_INPUT');

    const race = await Promise.all(
      Array.from({ length: 20 }, () => book(otherPatientId, doctorId, at(monday, '11:00'))),
    );
    expect(race.filter((response) => response.errors === undefined)).toHaveLength(1);
    expect(race.filter((response) => errorCode(response) === 'CONFLICT')).toHaveLength(19);

    const reschedule = (expectedVersion: number) =>
      gql(
        'mutation ($id: ID!, $v: Int!, $start: DateTime!) { rescheduleAppointment(id: $id, expectedVersion: $v, start: $start, durationMinutes: 45) { start end version } }',
        { id: appointment.id, v: expectedVersion, start: at(monday, '14:00') },
      );
    const moved = await reschedule(1);
    expect(moved.data?.rescheduleAppointment).toEqual({
      start: at(monday, '14:00'),
      end: at(monday, '14:45'),
      version: 2,
    });
    expect(errorCode(await reschedule(1))).toBe('CONFLICT');

    const cancelled = await gql(
      'mutation ($id: ID!) { cancelAppointment(id: $id, reason: "feeling better") { status cancellationReason version } }',
      { id: appointment.id },
    );
    expect(cancelled.data?.cancelAppointment).toEqual({
      status: 'CANCELLED',
      cancellationReason: 'feeling better',
      version: 3,
    });

    const future: string[] = [];
    for (const day of [monday.plus({ days: 1 }), monday.plus({ days: 2 })]) {
      const response = await book(patientId, doctorId, at(day, '09:00'));
      expect(response.errors).toBeUndefined();
      future.push(dataOf<{ id: string }>(response, 'bookAppointment').id);
    }
    const deactivated = await gql(
      'mutation ($id: ID!) { deactivatePatient(id: $id, reason: "moved") { active } }',
      {
        id: patientId,
      },
    );
    expect(deactivated.data?.deactivatePatient).toEqual({ active: false });
    await waitFor(
      async () => (await Promise.all(future.map(statusOf))).every((s) => s === 'CANCELLED'),
      30_000,
    );
    // The slots are free again for someone else.
    expect(
      (await book(otherPatientId, doctorId, at(monday.plus({ days: 1 }), '09:00'))).errors,
    ).toBeUndefined();

    const events = await system.eventsFor(appointmentTopic, appointment.id, 3);
    expect(events.map((event) => event.type)).toEqual([
      'appointment.booked',
      'appointment.rescheduled',
      'appointment.cancelled',
    ]);
  }, 120_000);

  it('answers one query spanning patient, doctor and appointment subgraphs', async () => {
    // A patient of this test's own, so what it counts does not depend on the tests before it.
    const cleoId = await registerPatient('Cleo');
    const day = nextMonday().plus({ days: 3 });
    const booked = await retryUnavailable(() => book(cleoId, doctorId, at(day, '15:00')));
    expect(booked.errors).toBeUndefined();
    const response = await gql(
      `query ($from: DateTime!, $to: DateTime!, $doctorId: ID!) {
        appointments(filter: { from: $from, to: $to, status: [BOOKED] }) {
          totalCount
          edges { node { start patient { name { text } appointments { totalCount } } doctor { name { text } consultationFee { amount currency } } } }
        }
        doctor(id: $doctorId) { licenseNumber appointments(filter: { from: $from, to: $to }) { totalCount } }
      }`,
      { from: at(day, '00:00'), to: at(day.plus({ days: 1 }), '00:00'), doctorId },
    );
    expect(response.errors).toBeUndefined();
    const data = response.data as {
      appointments: { totalCount: number; edges: Array<{ node: Record<string, unknown> }> };
      doctor: { appointments: { totalCount: number } };
    };
    expect(data.appointments.totalCount).toBe(1);
    expect(data.appointments.edges[0]?.node).toEqual({
      start: at(day, '15:00'),
      patient: { name: { text: 'Cleo Booking' }, appointments: { totalCount: 1 } },
      doctor: { name: { text: 'Hana Tanaka' }, consultationFee: { amount: 6500, currency: 'EUR' } },
    });
    expect(data.doctor.appointments.totalCount).toBe(1);
  }, 60_000);

  it('offers slots on a daylight-saving change day by the real length of the day', async () => {
    const day = nextDstChange();
    const response = await retryUnavailable(() =>
      gql(
        'query ($id: ID!, $date: Date!) { doctor(id: $id) { availableSlots(date: $date, durationMinutes: 60) { start end } } }',
        {
          id: doctorId,
          date: day.toISODate(),
        },
      ),
    );
    expect(response.errors).toBeUndefined();
    const { availableSlots: slots } = dataOf<{ availableSlots: Array<{ start: string; end: string }> }>(
      response,
      'doctor',
    );
    const onTheHour = slots.filter((slot) => new Date(slot.start).getUTCMinutes() === 0);
    // 01:00-04:00 local is two real hours when clocks go forward, four when they go back.
    const springForward = day.endOf('day').offset > day.startOf('day').offset;
    const first = day.set({ hour: 1 }).toMillis();
    const expected = Array.from({ length: springForward ? 2 : 4 }, (_, hour) =>
      new Date(first + hour * 3_600_000).toISOString(),
    );
    expect(onTheHour.map((slot) => slot.start)).toEqual(expected);
    for (const slot of slots) expect(Date.parse(slot.end) - Date.parse(slot.start)).toBe(3_600_000);
  }, 60_000);
});
