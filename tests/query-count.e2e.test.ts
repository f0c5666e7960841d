import { silentLogger } from '@hsg/kit';
import { anyPorts, type EmbeddedSystem, startEmbedded } from '@hsg/launcher';
import { dataOf, graphqlRequest, retryUnavailable, sessions, testAdmin } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';

/**
 * The batching promise of the graph: a query for N appointments with their patient and doctor costs one
 * store query per entity type, whatever N. Counted as SQL statements per service schema, leaving out the
 * event kit's own tables (outbox, inbox, leases), which background workers poll.
 */
describe('store queries per request across the graph', () => {
  let system: EmbeddedSystem;
  const statements = new Map<string, string[]>();
  let counting = false;
  let as: ReturnType<typeof sessions>;
  const gql = async (query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, await as('FRONT_DESK'));
  let day: DateTime;

  beforeAll(async () => {
    system = await startEmbedded({
      ports: anyPorts(),
      demoData: false,
      logger: silentLogger(),
      admin: testAdmin,
      onQuery: (schema, query) => {
        if (!counting || /kit_|event_log/.test(query.sql)) return;
        statements.set(schema, [...(statements.get(schema) ?? []), query.sql]);
      },
    });
    as = sessions(system.routerUrl);
    const doctorIds: string[] = [];
    for (const family of ['Novak', 'Silva']) {
      const doctor = await gql(
        'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }',
        {
          input: {
            name: { given: ['Dana'], family },
            licenseNumber: `LIC-COUNT-${family.toUpperCase()}`,
            specialties: ['Cardiology'],
            timeZone: 'UTC',
            workingHours: [{ weekday: 'MON', start: '00:00', end: '24:00' }],
            consultationFee: { amount: 9000, currency: 'EUR' },
          },
        },
      );
      doctorIds.push(dataOf<{ id: string }>(doctor, 'registerDoctor').id);
    }
    day = DateTime.utc().plus({ weeks: 1 }).startOf('week');
    for (let index = 0; index < 50; index++) {
      const patient = await gql(
        'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
        {
          input: {
            name: { given: [`P${index}`], family: 'Counted' },
            birthDate: '1970-01-01',
            gender: 'UNKNOWN',
          },
        },
      );
      const patientId = dataOf<{ id: string }>(patient, 'registerPatient').id;
      const input = {
        patientId,
        doctorId: doctorIds[index % 2],
        start: day.plus({ minutes: 15 * index }).toISO(),
        durationMinutes: 15,
      };
      // The appointment subgraph's projections may not have the new patient yet: retry while UNAVAILABLE.
      const booked = await retryUnavailable(() =>
        gql('mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }', { input }),
      );
      expect(booked.errors).toBeUndefined();
    }
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  it.each([1, 50])(
    '%i appointments with patient and doctor names: one query per entity type',
    async (first) => {
      statements.clear();
      counting = true;
      const response = await gql(
        `query ($from: DateTime!, $first: Int!) {
        appointments(filter: { from: $from }, first: $first) {
          edges { node { start patient { name { text } } doctor { name { text } } } }
        }
      }`,
        { from: day.toISO(), first },
      );
      counting = false;
      const edges = dataOf<{ edges: Array<{ node: { patient: unknown; doctor: unknown } }> }>(
        response,
        'appointments',
      ).edges;
      expect(edges).toHaveLength(first);
      for (const { node } of edges) {
        expect(node.patient).toEqual({ name: { text: expect.stringMatching(/ Counted$/) } });
        expect(node.doctor).toEqual({ name: { text: expect.stringMatching(/^Dana /) } });
      }
      expect({
        patient: statements.get('patient')?.length,
        doctor: statements.get('doctor')?.length,
        appointment: statements.get('appointment')?.length,
      }).toEqual({ patient: 1, doctor: 1, appointment: 1 });
    },
  );
});
