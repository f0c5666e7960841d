import { randomUUID } from 'node:crypto';
import { createTokenVerifier } from '@hsg/kit/auth';
import type { EventTransport } from '@hsg/kit/events';
import { loadSupergraphSdl } from '@hsg/schema';
import {
  createTestKeys,
  type EventBackend,
  embeddedLogBackend,
  setupTimeoutMs,
  type TestKeys,
  waitFor,
} from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createSubscriptionsFeature, type Router } from '../src/router.ts';
import { type ClinicSubgraphs, startClinicSubgraphs } from './clinic-subgraphs.ts';
import { startTestRouter } from './test-subgraphs.ts';

/** An envelope as the subgraphs' outboxes publish it (the stand-ins' ids are not UUIDs, so built by hand). */
const envelope = (type: string, subject: string, data: unknown) =>
  JSON.stringify({
    specversion: '1.0',
    id: randomUUID(),
    source: 'test',
    type,
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
  });

type Result = { data?: Record<string, unknown> | null; errors?: unknown[] };

/** A subscription's results as they arrive, and its end (with the close event's code, if the socket closed). */
function subscribeWith(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: Result[] = [];
  let error: unknown;
  let completed = false;
  const stop = client.subscribe(
    { query, variables },
    {
      next: (result) => void results.push(result as Result),
      error: (failure) => {
        error = failure;
      },
      complete: () => {
        completed = true;
      },
    },
  );
  return {
    results,
    stop,
    error: () => error,
    completed: () => completed,
  };
}

describe('subscriptions at the router (graphql-ws on /graphql)', () => {
  let backend: EventBackend;
  let transport: EventTransport;
  let subgraphs: ClinicSubgraphs;
  let router: Router;
  let url: string;
  let keys: TestKeys;
  const clients: Client[] = [];
  const client = (connectionParams: Record<string, unknown> = {}, onClose?: (code: number) => void) => {
    const created = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: false,
      on: { closed: (event) => onClose?.((event as { code: number }).code) },
    });
    clients.push(created);
    return created;
  };
  const publish = (topic: string, type: string, subject: string, data: unknown) =>
    transport.send([{ topic, key: subject, value: envelope(type, subject, data), headers: {} }]);
  const booked = (appointment: { id: string; patientId: string; doctorId: string }) =>
    publish('appointment.events', 'appointment.booked', appointment.id, { appointment });

  beforeAll(async () => {
    backend = embeddedLogBackend();
    transport = await backend.transport();
    subgraphs = await startClinicSubgraphs();
    const started = await startTestRouter(Object.values(subgraphs), {
      supergraphSdl: await loadSupergraphSdl(),
      auth: 'off',
      events: transport,
    });
    router = started.router;
    url = `ws://127.0.0.1:${started.port}/graphql`;
    keys = await createTestKeys();
  }, setupTimeoutMs);
  afterAll(async () => {
    for (const each of clients) await each.dispose();
    await router.stop();
    for (const subgraph of Object.values(subgraphs)) await subgraph.stop();
    await backend.dispose();
  }, 60_000);

  it("delivers a doctor's appointment changes with the rest of the selection read through the gateway, and no other doctor's", async () => {
    const ws = client();
    const ofD1 = subscribeWith(
      ws,
      `subscription ($d: ID) { change: appointmentChanged(doctorId: $d) { kind ... on AppointmentChange { occurredAt }
        appointment { id ...Who } } } fragment Who on Appointment { patient { name { text } } }`,
      { d: 'd1' },
    );
    const ofD2 = subscribeWith(ws, 'subscription { appointmentChanged(doctorId: "d2") { kind } }');
    await waitFor(async () => router.liveStats().subscribers === 2);
    await booked({ id: 'a1', patientId: 'p1', doctorId: 'd1' });
    await waitFor(async () => ofD1.results.length === 1);
    expect(ofD1.results[0]).toEqual({
      data: {
        change: {
          kind: 'BOOKED',
          occurredAt: expect.any(String),
          appointment: { id: 'a1', patient: { name: { text: 'Ada Example' } } },
        },
      },
    });
    await booked({ id: 'a3', patientId: 'p1', doctorId: 'd2' });
    await waitFor(async () => ofD2.results.length === 1);
    expect(ofD1.results).toHaveLength(1);
    ofD1.stop();
    ofD2.stop();
    await waitFor(async () => router.liveStats().subscribers === 0);
  });

  it('delivers lab results of one patient, and only critical ones when asked', async () => {
    const ws = client();
    const all = subscribeWith(
      ws,
      'subscription { labResultReceived(patientId: "p1") { id status patient { id } } }',
    );
    const critical = subscribeWith(ws, 'subscription { labResultReceived(criticalOnly: true) { id } }');
    await waitFor(async () => router.liveStats().subscribers === 2);
    const recorded = (observation: { id: string; patientId: string; critical: boolean }) =>
      publish('observation.events', 'observation.recorded', observation.id, { observation });
    await recorded({ id: 'o2', patientId: 'p2', critical: false });
    await recorded({ id: 'o1', patientId: 'p1', critical: true });
    await waitFor(async () => all.results.length === 1 && critical.results.length === 1);
    expect(all.results[0]).toEqual({
      data: { labResultReceived: { id: 'o1', status: 'FINAL', patient: { id: 'p1' } } },
    });
    expect(critical.results[0]).toEqual({ data: { labResultReceived: { id: 'o1' } } });
    all.stop();
    critical.stop();
  });

  it('resolves once per event for subscribers sharing selection and principal', async () => {
    const ws = client();
    const query = 'subscription { appointmentChanged(doctorId: "d1") { appointment { id } } }';
    const three = [subscribeWith(ws, query), subscribeWith(ws, query), subscribeWith(ws, query)];
    await waitFor(async () => router.liveStats().subscribers === 3);
    const before = subgraphs.appointment.received.length;
    await booked({ id: 'a2', patientId: 'p2', doctorId: 'd1' });
    await waitFor(async () => three.every((each) => each.results.length === 1));
    expect(subgraphs.appointment.received.length - before).toBe(1);
    for (const each of three) each.stop();
  });

  it('refuses what is not a subscription it serves, and an invalid document, with GraphQL errors', async () => {
    const ws = client();
    const unknown = subscribeWith(ws, 'subscription { nothingHere }');
    const answered = subscribeWith(ws, '{ patient(id: "p1") { id } }');
    await waitFor(async () => unknown.error() !== undefined && answered.completed());
    expect(JSON.stringify(unknown.error())).toContain('nothingHere');
    expect(answered.results).toEqual([{ data: { patient: { id: 'p1' } } }]);
  });

  it('leaves no subscriber, connection or consumer behind after 500 connect/disconnect cycles', async () => {
    const before = router.liveStats(); // the earlier tests' clients stay connected until the end
    for (let cycle = 0; cycle < 500; cycle++) {
      const socket = new WebSocket(url, 'graphql-transport-ws');
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init' }));
      await new Promise((resolve) => socket.once('message', resolve));
      socket.send(
        JSON.stringify({
          id: '1',
          type: 'subscribe',
          payload: { query: 'subscription { labResultReceived { id } }' },
        }),
      );
      // Half say goodbye, half vanish (a dropped connection).
      if (cycle % 2 === 0) socket.close();
      else socket.terminate();
    }
    await waitFor(
      async () =>
        router.liveStats().connections === before.connections && router.liveStats().subscribers === 0,
      20_000,
    ).catch((error) => {
      throw new Error(`${error.message}: ${JSON.stringify(router.liveStats())}`);
    });
    expect(router.liveStats()).toEqual({ connections: before.connections, subscribers: 0, consumers: 1 });
  }, 120_000);

  describe('with tokens', () => {
    let secured: Router;
    let securedUrl: string;
    beforeAll(async () => {
      const feature = createSubscriptionsFeature({
        transport,
        verifier: createTokenVerifier({ jwks: keys.jwks }),
        keepAliveMs: 1_000,
      });
      const started = await startTestRouter(Object.values(subgraphs), {
        supergraphSdl: await loadSupergraphSdl(),
        auth: 'off',
        features: [feature],
      });
      secured = started.router;
      securedUrl = `ws://127.0.0.1:${started.port}/graphql`;
    });
    afterAll(async () => {
      await secured.stop();
    });
    const closeCodeOf = (params: Record<string, unknown>) =>
      new Promise<number>((resolve) => {
        const ws = createClient({
          url: securedUrl,
          webSocketImpl: WebSocket,
          connectionParams: params,
          retryAttempts: 0,
          lazy: false,
          on: { closed: (event) => resolve((event as { code: number }).code) },
          onNonLazyError: () => {},
        });
        clients.push(ws);
      });

    it('closes with 4401 without a token, with a bad one, and when the token expires', async () => {
      expect(await closeCodeOf({})).toBe(4401);
      expect(await closeCodeOf({ authorization: 'Bearer not.a.token' })).toBe(4401);
      const expired = await keys.tokenFor({ role: 'FRONT_DESK', expiresIn: -60 });
      expect(await closeCodeOf({ authorization: `Bearer ${expired}` })).toBe(4401);
      const soon = await keys.tokenFor({ role: 'FRONT_DESK', expiresIn: 2 });
      const started = Date.now();
      expect(await closeCodeOf({ authorization: `Bearer ${soon}` })).toBe(4401);
      expect(Date.now() - started).toBeGreaterThan(1_000); // it was accepted first, then ended at expiry
    });
  });
});
