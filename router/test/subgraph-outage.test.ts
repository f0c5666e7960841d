import { loadSupergraphSdl } from '@hsg/schema';
import { graphqlPost } from '@hsg/testing';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Router } from '../src/router.ts';
import { type ClinicSubgraphs, startClinicSubgraphs } from './clinic-subgraphs.ts';
import { startTestRouter } from './test-subgraphs.ts';

const appointmentsWithPeople =
  '{ appointments { edges { node { id patient { id name { text } } doctor { id name { text } } } } } }';
const doctorsWithAppointments =
  '{ doctors { edges { node { id name { text } appointments { totalCount edges { node { id patient { name { text } } } } } } } } }';

const unavailable = (subgraph: string) => ({
  message: `Subgraph ${subgraph} is unavailable`,
  extensions: { code: 'UNAVAILABLE', retriable: true },
});
/** One error per entity the subgraph could not answer for, at that entity's path. */
const unavailableAt = (subgraph: string, ...paths: Array<Array<string | number>>) =>
  paths.map((path) => ({
    message: `Subgraph ${subgraph} is unavailable`,
    path,
    extensions: { code: 'UNAVAILABLE', retriable: true, serviceName: subgraph },
  }));
const appointmentAt = (index: number, field: string) => ['appointments', 'edges', index, 'node', field];

// The committed supergraph (schema/supergraph.graphql) over stand-ins for the three subgraphs that serve
// their real schema.graphql: what a client sees while one of them is down (ADR 0013).
describe('router while a subgraph is down', () => {
  let subgraphs: ClinicSubgraphs;
  let router: Router;
  let base: string;
  const stopped = new Set<string>();
  const stop = async (...names: Array<keyof ClinicSubgraphs>) => {
    for (const name of names) {
      stopped.add(name);
      await subgraphs[name].stop();
    }
  };

  beforeEach(async () => {
    subgraphs = await startClinicSubgraphs();
    ({ router, base } = await startTestRouter(Object.values(subgraphs), {
      supergraphSdl: await loadSupergraphSdl(),
      auth: 'off', // what a client sees of an outage, not who it is: the stand-ins check no tokens
    }));
  });
  afterEach(async () => {
    await router.stop();
    for (const subgraph of Object.values(subgraphs)) if (!stopped.has(subgraph.name)) await subgraph.stop();
    stopped.clear();
  });

  it('answers the appointments with their patients and doctor: null, and UNAVAILABLE, while doctor is down', async () => {
    await stop('doctor');
    const { status, body } = await graphqlPost(`${base}/graphql`, appointmentsWithPeople);
    expect(status).toBe(200);
    expect(body.data).toEqual({
      appointments: {
        edges: [
          { node: { id: 'a1', patient: { id: 'p1', name: { text: 'Ada Example' } }, doctor: null } },
          { node: { id: 'a2', patient: { id: 'p2', name: { text: 'Bruno Example' } }, doctor: null } },
          { node: { id: 'a3', patient: { id: 'p1', name: { text: 'Ada Example' } }, doctor: null } },
        ],
      },
    });
    expect(body.errors).toEqual(
      unavailableAt(
        'doctor',
        appointmentAt(0, 'doctor'),
        appointmentAt(1, 'doctor'),
        appointmentAt(2, 'doctor'),
      ),
    );
  });

  it('answers the appointments with their doctors and a null patient each while patient is down', async () => {
    await stop('patient');
    const { body } = await graphqlPost(`${base}/graphql`, appointmentsWithPeople);
    expect(body.data?.appointments).toEqual({
      edges: [
        { node: { id: 'a1', patient: null, doctor: { id: 'd1', name: { text: 'Hana Tanaka' } } } },
        { node: { id: 'a2', patient: null, doctor: { id: 'd1', name: { text: 'Hana Tanaka' } } } },
        { node: { id: 'a3', patient: null, doctor: { id: 'd2', name: { text: 'Omar Haddad' } } } },
      ],
    });
    expect(body.errors).toEqual(
      unavailableAt(
        'patient',
        appointmentAt(0, 'patient'),
        appointmentAt(1, 'patient'),
        appointmentAt(2, 'patient'),
      ),
    );
  });

  it('answers the doctors with appointments: null while appointment is down', async () => {
    await stop('appointment');
    const { body } = await graphqlPost(`${base}/graphql`, doctorsWithAppointments);
    expect(body.data).toEqual({
      doctors: {
        edges: [
          { node: { id: 'd1', name: { text: 'Hana Tanaka' }, appointments: null } },
          { node: { id: 'd2', name: { text: 'Omar Haddad' }, appointments: null } },
        ],
      },
    });
    // The path is the doctor's: the entity whose fields the appointment subgraph could not give.
    expect(body.errors).toEqual(
      unavailableAt('appointment', ['doctors', 'edges', 0, 'node'], ['doctors', 'edges', 1, 'node']),
    );
  });

  it("answers the doctors' appointments with patient: null while patient is down", async () => {
    await stop('patient');
    const { body } = await graphqlPost(`${base}/graphql`, doctorsWithAppointments);
    const withoutPatient = (id: string) => ({ node: { id, patient: null } });
    expect(body.data).toEqual({
      doctors: {
        edges: [
          {
            node: {
              id: 'd1',
              name: { text: 'Hana Tanaka' },
              appointments: { totalCount: 2, edges: [withoutPatient('a1'), withoutPatient('a2')] },
            },
          },
          {
            node: {
              id: 'd2',
              name: { text: 'Omar Haddad' },
              appointments: { totalCount: 1, edges: [withoutPatient('a3')] },
            },
          },
        ],
      },
    });
    const patientOf = (doctor: number, appointment: number) => [
      'doctors',
      'edges',
      doctor,
      'node',
      'appointments',
      'edges',
      appointment,
      'node',
      'patient',
    ];
    expect(body.errors).toEqual(unavailableAt('patient', patientOf(0, 0), patientOf(0, 1), patientOf(1, 0)));
  });

  it('answers data: null when the subgraph of a non-null root field is down: nothing of it to show', async () => {
    await stop('doctor');
    const { body } = await graphqlPost(`${base}/graphql`, doctorsWithAppointments);
    expect(body).toEqual({ errors: [unavailable('doctor')], data: null });
  });

  it('answers /ready with 200 when every subgraph answers', async () => {
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      subgraphs: {
        identity: 'up',
        patient: 'up',
        doctor: 'up',
        appointment: 'up',
        billing: 'up',
        observation: 'up',
        analytics: 'up',
        notification: 'up',
      },
    });
  });

  it('stays ready, 200 degraded naming the subgraph down, while another subgraph still answers', async () => {
    await stop('doctor');
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'degraded',
      subgraphs: {
        identity: 'up',
        patient: 'up',
        doctor: 'down',
        appointment: 'up',
        billing: 'up',
        observation: 'up',
        analytics: 'up',
        notification: 'up',
      },
    });
    // What it is ready for: an operation that needs only the subgraphs that are up.
    const { body } = await graphqlPost(`${base}/graphql`, '{ patients { totalCount } }');
    expect(body).toEqual({ data: { patients: { totalCount: 2 } } });
  });

  it('answers /ready with 503 not ready when no subgraph answers', async () => {
    await stop(
      'identity',
      'patient',
      'doctor',
      'appointment',
      'billing',
      'observation',
      'analytics',
      'notification',
    );
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'not ready',
      subgraphs: {
        identity: 'down',
        patient: 'down',
        doctor: 'down',
        appointment: 'down',
        billing: 'down',
        observation: 'down',
        analytics: 'down',
        notification: 'down',
      },
    });
  });
});
