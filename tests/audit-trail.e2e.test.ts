import { dataOf, errorCode, graphqlRequest, retryUnavailable, uniqueName, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { embeddedSystem, type RunningSystem, realSystem } from './systems.ts';

/** What the trail says of one access, as the test compares it. */
interface Entry {
  userId: string;
  role: string;
  subgraph: string;
  operationType: string;
  outcome: string;
  rootFields: string[];
}

const zone = 'Europe/Berlin';
const workingHours = ['MON', 'TUE', 'WED', 'THU', 'FRI'].map((weekday) => ({
  weekday,
  start: '08:00',
  end: '17:00',
}));

/**
 * A clinic day through the router, every role doing its part, then the ADMIN's view of the trail: an
 * entry for each access to a patient's data, allowed or refused, by the subgraph that holds it. The logs
 * of the whole run (every part, at debug) never name a patient.
 */
describe.each([
  ['embedded', embeddedSystem],
  ['real', realSystem],
])('the audit trail of a clinic day (%s mode)', (_mode, start) => {
  let system: RunningSystem;
  const suffix = uniqueName('')
    .slice(-6)
    .replace(/[^a-z0-9]/g, 'x');
  // Names no log line could contain by chance.
  const names = {
    given: `Odalys${suffix}`,
    family: `Quennevelt${suffix}`,
    otherGiven: `Thibaude${suffix}`,
    email: `odalys.${suffix}@example.test`,
  };
  const as = async (role: Parameters<RunningSystem['as']>[0], links = {}) => system.as(role, links);
  const gql = async (headers: Record<string, string>, query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, headers);
  const userIdOf = async (headers: Record<string, string>) =>
    dataOf<{ id: string }>(await gql(headers, '{ me { id } }'), 'me').id;

  beforeAll(async () => {
    system = await start({ captureLogs: 'debug' });
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  it('records every access to patient data, and no log line names a patient', async () => {
    const desk = await as('FRONT_DESK');
    const register = async (given: string, email?: string) =>
      dataOf<{ id: string; mrn: string }>(
        await gql(
          desk,
          'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id mrn } }',
          {
            input: {
              name: { given: [given], family: names.family },
              birthDate: '1979-03-08',
              gender: 'FEMALE',
              email,
            },
          },
        ),
        'registerPatient',
      );
    const patient = await register(names.given, names.email);
    const other = await register(names.otherGiven);
    const doctor = dataOf<{ id: string }>(
      await gql(desk, 'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }', {
        input: {
          name: { given: ['Wren'], family: 'Audit' },
          licenseNumber: uniqueName('LIC').replaceAll('_', '-'),
          specialties: ['General practice'],
          timeZone: zone,
          workingHours,
          consultationFee: { amount: 6000, currency: 'EUR' },
        },
      }),
      'registerDoctor',
    );
    const startAt = DateTime.now().setZone(zone).plus({ weeks: 1 }).startOf('week').set({ hour: 9 });
    const booked = await retryUnavailable(() =>
      gql(desk, 'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }', {
        input: {
          patientId: patient.id,
          doctorId: doctor.id,
          start: startAt.toJSDate().toISOString(),
          durationMinutes: 30,
          reason: 'annual check-up',
        },
      }),
    );
    const appointmentId = dataOf<{ id: string }>(booked, 'bookAppointment').id;

    // The patient: their own record and appointments; the other patient is refused.
    const self = await as('PATIENT', { patientId: patient.id });
    const own = await gql(
      self,
      'query Own { patient(id: "' +
        patient.id +
        '") { name { text } appointments { totalCount edges { node { reason } } } } }',
    );
    expect(own.data?.patient).toEqual({
      name: { text: `${names.given} ${names.family}` },
      appointments: { totalCount: 1, edges: [{ node: { reason: 'annual check-up' } }] },
    });
    const refused = await gql(self, 'query Peek($id: ID!) { patient(id: $id) { name { text } } }', {
      id: other.id,
    });
    expect(errorCode(refused)).toBe('FORBIDDEN');

    // The clinician follows the appointment to its patient (appointment → patient across subgraphs),
    // once the care relationship the booking made has reached the patient subgraph.
    const clinician = await as('CLINICIAN', { doctorId: doctor.id });
    const visit = async () =>
      gql(clinician, 'query Visit($id: ID!) { appointment(id: $id) { reason patient { name { text } } } }', {
        id: appointmentId,
      });
    await waitFor(async () => {
      const answer = await visit();
      return (answer.data?.appointment as { patient: unknown } | null)?.patient != null;
    }, 20_000);

    // The lab's service account finds the patient by MRN.
    const integration = await as('INTEGRATION');
    const found = await gql(integration, 'query Lab($mrn: String!) { patientByMrn(mrn: $mrn) { id } }', {
      mrn: patient.mrn,
    });
    expect(found.data?.patientByMrn).toEqual({ id: patient.id });

    // Refusals that carry the patient's name in their input: a stale update, a malformed email, a
    // document that does not parse. Their errors must not copy it into a log.
    const stale = await gql(
      desk,
      'mutation Stale($id: ID!, $input: UpdatePatientInput!) { updatePatient(id: $id, expectedVersion: 99, input: $input) { id } }',
      { id: patient.id, input: { name: { given: [names.given], family: names.family } } },
    );
    expect(errorCode(stale)).toBe('CONFLICT');
    const malformed = await gql(
      desk,
      'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      {
        input: {
          name: { given: [names.given], family: names.family },
          birthDate: '1979-03-08',
          gender: 'FEMALE',
          email: `${names.family} at nowhere`,
        },
      },
    );
    expect(errorCode(malformed)).toBe('BAD_USER_INPUT');
    const unparsable = await gql(desk, `{ patients(filter: { name: "${names.family}" ) { totalCount } }`);
    expect(errorCode(unparsable)).toBe('GRAPHQL_PARSE_FAILED');

    const users = {
      desk: await userIdOf(desk),
      self: await userIdOf(self),
      clinician: await userIdOf(clinician),
      integration: await userIdOf(integration),
    };
    const admin = await as('ADMIN');
    const trailOf = async (patientId: string): Promise<Entry[]> =>
      (
        dataOf<{ edges: Array<{ node: Entry }> }>(
          await gql(
            admin,
            'query Trail($patientId: ID!) { auditEntries(filter: { patientId: $patientId }, first: 100) { edges { node { userId role subgraph operationType outcome rootFields } } } }',
            { patientId },
          ),
          'auditEntries',
        ) as { edges: Array<{ node: Entry }> }
      ).edges.map((edge) => edge.node);

    const expected: Entry[] = [
      entry(users.desk, 'FRONT_DESK', 'patient', 'WRITE', 'ALLOWED', ['registerPatient']),
      entry(users.desk, 'FRONT_DESK', 'appointment', 'WRITE', 'ALLOWED', ['bookAppointment']),
      entry(users.self, 'PATIENT', 'patient', 'READ', 'ALLOWED', ['patient']),
      entry(users.self, 'PATIENT', 'appointment', 'READ', 'ALLOWED', ['_entities']),
      entry(users.clinician, 'CLINICIAN', 'appointment', 'READ', 'ALLOWED', ['appointment']),
      entry(users.clinician, 'CLINICIAN', 'patient', 'READ', 'ALLOWED', ['_entities']),
      entry(users.integration, 'INTEGRATION', 'patient', 'READ', 'ALLOWED', ['patientByMrn']),
    ];
    // The trail is filled from events: wait until every access has arrived (else show what did).
    await waitFor(async () => {
      const trail = await trailOf(patient.id);
      return expected.every((wanted) => trail.some((got) => matches(got, wanted)));
    }, 30_000).catch(() => undefined);
    const trail = await trailOf(patient.id);
    expect(trail).toEqual(expect.arrayContaining(expected));
    // The ADMIN's own reads of this trail are on it too; nobody else touched the patient's data.
    const adminId = await userIdOf(admin);
    expect(trail).toContainEqual(entry(adminId, 'ADMIN', 'identity', 'READ', 'ALLOWED', ['auditEntries']));
    expect(new Set(trail.map((got) => got.userId))).toEqual(new Set([...Object.values(users), adminId]));

    const otherEntry = entry(users.self, 'PATIENT', 'patient', 'READ', 'DENIED', ['patient']);
    await waitFor(
      async () => (await trailOf(other.id)).some((got) => matches(got, otherEntry)),
      30_000,
    ).catch(() => undefined);
    expect(await trailOf(other.id)).toContainEqual(otherEntry);

    const logs = system.logs();
    expect(logs.length).toBeGreaterThan(10); // the run did log: what follows is not vacuous
    for (const word of Object.values(names)) {
      const leaks = logs.filter((line) => line.includes(word));
      expect({ word, leaks }).toEqual({ word, leaks: [] });
    }
  }, 120_000);
});

function entry(
  userId: string,
  role: string,
  subgraph: string,
  operationType: string,
  outcome: string,
  rootFields: string[],
): Entry {
  return { userId, role, subgraph, operationType, outcome, rootFields };
}

const matches = (got: Entry, wanted: Entry) =>
  (Object.keys(wanted) as Array<keyof Entry>).every(
    (key) => JSON.stringify(got[key]) === JSON.stringify(wanted[key]),
  );
