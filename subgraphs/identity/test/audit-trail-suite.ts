import { type AuditRequest, auditRecorded, auditTopic } from '@hsg/contracts';
import { silentLogger } from '@hsg/kit';
import { createEvent, type EventTransport } from '@hsg/kit/events';
import { type RunningSubgraph, startSubgraph } from '@hsg/kit/runtime';
import type { SqlDatabase } from '@hsg/kit/sql';
import {
  type EventBackend,
  errorCode,
  graphqlRequest,
  setupTimeoutMs,
  sharedTestKeys,
  type TestKeys,
  type TokenRequest,
  waitFor,
} from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { type IdentitySubgraph, identitySubgraph } from '../src/subgraph.ts';

/**
 * ADR 0017's trail: the identity subgraph keeps every `audit.recorded` event's records as entries (once,
 * however often delivered), answers them to an ADMIN only, newest first with filters and paging, and its
 * store refuses to change or remove one.
 */
export function describeAuditTrail(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  describe(`the audit trail on ${backend.name}`, () => {
    let database: SqlDatabase;
    let transport: EventTransport;
    let identity: RunningSubgraph<IdentitySubgraph>;
    let keys: TestKeys;

    beforeAll(async () => {
      keys = await sharedTestKeys();
      database = await backend.sql.open(backend.sql.newNamespace());
      transport = await backend.transport();
      identity = await startSubgraph(identitySubgraph, {
        auth: { jwks: keys.jwks },
        database,
        transport,
        logger: silentLogger(),
        port: 0,
      });
    }, setupTimeoutMs);

    afterAll(async () => {
      await identity?.stop();
      await backend.dispose();
    }, setupTimeoutMs);

    const ENTRIES = `query ($filter: AuditFilter, $first: Int, $after: String) {
    auditEntries(filter: $filter, first: $first, after: $after) {
      totalCount
      edges { cursor node { at userId role patientId subgraph operationName rootFields operationType fields outcome traceId } }
      pageInfo { hasNextPage endCursor }
    } }`;
    const as = async (who: TokenRequest | undefined, variables: Record<string, unknown>) =>
      graphqlRequest(identity.url, ENTRIES, variables, who ? await keys.headersFor(who) : {});
    const admin = { role: 'ADMIN' } as const;

    /** One request's part of what a subgraph's outbox relay publishes. */
    const batch = (overrides: Partial<AuditRequest> = {}): AuditRequest => ({
      subgraph: 'patient',
      userId: uuidv7(),
      role: 'FRONT_DESK',
      operationName: 'Chart__patient__0',
      operationType: 'READ',
      at: new Date().toISOString(),
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      records: [
        { patientId: uuidv7(), outcome: 'ALLOWED', fields: ['Patient.name'], rootFields: ['_entities'] },
      ],
      ...overrides,
    });
    /** One event per request (keyed by its user, so one user's events stay in order here). */
    const publish = async (...batches: AuditRequest[]) => {
      const events = batches.map((data) =>
        createEvent(auditRecorded, {
          source: 'urn:hsg:subgraph:patient',
          subject: data.userId,
          data: { requests: [data] },
        }),
      );
      await transport.send(
        events.map((event) => ({
          topic: auditTopic,
          key: event.subject,
          value: JSON.stringify(event),
          headers: {},
        })),
      );
      return events;
    };
    const entriesOf = async (filter: Record<string, unknown>, first = 50) => {
      const response = await as(admin, { filter, first });
      return (response.data?.auditEntries ?? null) as {
        totalCount: number;
        edges: Array<{ cursor: string; node: Record<string, unknown> }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      } | null;
    };
    const arrived = (filter: Record<string, unknown>, count: number, timeoutMs = 30_000) =>
      waitFor(async () => (await entriesOf(filter))?.totalCount === count, timeoutMs);

    // On a shared broker the consumer first replays the topic's history: wait until it caught up.
    beforeAll(async () => {
      const sentinel = batch();
      await publish(sentinel);
      await arrived({ userId: sentinel.userId }, 1, setupTimeoutMs - 10_000);
    }, setupTimeoutMs);

    it('keeps every record of an event as an entry, once, however often the event is delivered', async () => {
      const patientId = uuidv7();
      const data = batch({
        role: 'CLINICIAN',
        operationType: 'WRITE',
        operationName: null,
        traceId: null,
        records: [
          {
            patientId,
            outcome: 'ALLOWED',
            fields: ['Patient.id', 'Patient.name'],
            rootFields: ['updatePatient'],
          },
          { patientId: null, outcome: 'DENIED', fields: ['Query.patients'], rootFields: ['patients'] },
        ],
      });
      const [event] = await publish(data);
      await transport.send([
        { topic: auditTopic, key: data.userId, value: JSON.stringify(event), headers: {} },
      ]);
      // The same user's next request, behind the redelivery on the user's partition: once it is in, the
      // redelivery was handled.
      const next = batch({ userId: data.userId, at: new Date(Date.parse(data.at) + 1).toISOString() });
      await publish(next);
      await waitFor(
        async () => (await entriesOf({ userId: data.userId }))?.edges[0]?.node.at === next.at,
        30_000,
      );
      const entries = await entriesOf({ userId: data.userId });
      expect(entries?.edges.map((edge) => edge.node)).toEqual(
        expect.arrayContaining([
          {
            at: data.at,
            userId: data.userId,
            role: 'CLINICIAN',
            patientId,
            subgraph: 'patient',
            operationName: null,
            rootFields: ['updatePatient'],
            operationType: 'WRITE',
            fields: ['Patient.id', 'Patient.name'],
            outcome: 'ALLOWED',
            traceId: null,
          },
          expect.objectContaining({ patientId: null, outcome: 'DENIED', fields: ['Query.patients'] }),
        ]),
      );
      expect(entries?.totalCount).toBe(3);
    }, 60_000);

    it("keeps every request of an event that carries several (a subgraph's group commit)", async () => {
      const [first, second] = [batch(), batch({ role: 'PATIENT', subgraph: 'appointment' })];
      const event = createEvent(auditRecorded, {
        source: 'urn:hsg:subgraph:appointment',
        subject: 'appointment',
        data: { requests: [first, second] },
      });
      await transport.send([
        { topic: auditTopic, key: 'appointment', value: JSON.stringify(event), headers: {} },
      ]);
      await arrived({ userId: second.userId }, 1);
      expect((await entriesOf({ userId: first.userId }))?.edges.map((edge) => edge.node)).toEqual([
        expect.objectContaining({
          role: 'FRONT_DESK',
          subgraph: 'patient',
          patientId: first.records[0]?.patientId,
        }),
      ]);
      expect((await entriesOf({ userId: second.userId }))?.edges.map((edge) => edge.node)).toEqual([
        expect.objectContaining({
          role: 'PATIENT',
          subgraph: 'appointment',
          patientId: second.records[0]?.patientId,
        }),
      ]);
    }, 60_000);

    it('answers an ADMIN newest first, by patient, user, outcome and time, a page at a time', async () => {
      const patientId = uuidv7();
      const userId = uuidv7();
      const base = Date.now() - 60_000;
      const at = (seconds: number) => new Date(base + seconds * 1000).toISOString();
      const record = (outcome: 'ALLOWED' | 'DENIED') => ({
        patientId,
        outcome,
        fields: ['Appointment.start'],
        rootFields: ['appointments'],
      });
      await publish(
        batch({ userId, at: at(1), subgraph: 'appointment', records: [record('ALLOWED')] }),
        batch({ userId, at: at(2), subgraph: 'appointment', records: [record('DENIED')] }),
        batch({ at: at(3), records: [record('ALLOWED')] }), // another user, same patient
        batch({ userId, at: at(4), records: [record('ALLOWED')] }),
        batch({ userId, at: at(5) }), // another patient
      );
      // Up to a moment before now: the ADMIN's reads of this patient's trail are on it too (later).
      const upTo = at(6);
      await arrived({ patientId, to: upTo }, 4);

      const page1 = await entriesOf({ patientId, to: upTo }, 3);
      expect(page1?.totalCount).toBe(4);
      expect(page1?.edges.map((edge) => edge.node.at)).toEqual([at(4), at(3), at(2)]);
      expect(page1?.pageInfo.hasNextPage).toBe(true);
      const page2 = (
        await as(admin, { filter: { patientId, to: upTo }, first: 3, after: page1?.pageInfo.endCursor })
      ).data?.auditEntries as NonNullable<typeof page1>;
      expect(page2.edges.map((edge) => edge.node.at)).toEqual([at(1)]);
      expect(page2.pageInfo.hasNextPage).toBe(false);

      expect((await entriesOf({ patientId, userId }))?.edges.map((edge) => edge.node.at)).toEqual([
        at(4),
        at(2),
        at(1),
      ]);
      expect((await entriesOf({ patientId, outcome: 'DENIED' }))?.edges.map((edge) => edge.node.at)).toEqual([
        at(2),
      ]);
      expect(
        (await entriesOf({ userId, from: at(2), to: at(5) }))?.edges.map((edge) => [
          edge.node.at,
          edge.node.subgraph,
        ]),
      ).toEqual([
        [at(4), 'patient'],
        [at(2), 'appointment'],
      ]);
      expect(errorCode(await as(admin, { filter: { from: at(5), to: at(1) } }))).toBe('BAD_USER_INPUT');
      expect(errorCode(await as(admin, { after: 'not-a-cursor' }))).toBe('BAD_USER_INPUT');
    }, 60_000);

    it("puts an ADMIN's reads of the trail on it: who looked into whose entries, per patient", async () => {
      const [one, two] = [uuidv7(), uuidv7()];
      const record = (patientId: string) => ({
        patientId,
        outcome: 'ALLOWED' as const,
        fields: ['Patient.name'],
        rootFields: ['patient'],
      });
      const data = batch({ records: [record(one), record(two)] });
      await publish(data);
      await arrived({ userId: data.userId }, 2);
      const reader = { role: 'ADMIN', userId: uuidv7() } as const;
      const read = await graphqlRequest(
        identity.url,
        'query Review($userId: ID!) { auditEntries(filter: { userId: $userId }) { edges { node { patientId } } } }',
        { userId: data.userId },
        await keys.headersFor(reader),
      );
      expect(read.errors).toBeUndefined();
      const readsOf = async (patientId: string) =>
        (await entriesOf({ patientId, userId: reader.userId }))?.edges.map((edge) => edge.node);
      for (const patientId of [one, two])
        expect(await readsOf(patientId)).toEqual([
          {
            at: expect.any(String),
            userId: reader.userId,
            role: 'ADMIN',
            patientId,
            subgraph: 'identity',
            operationName: 'Review',
            rootFields: ['auditEntries'],
            operationType: 'READ',
            fields: ['Query.auditEntries'],
            outcome: 'ALLOWED',
            traceId: null,
          },
        ]);
      // A read filtered by a patient is on that patient's trail even when it found nothing.
      const nobody = uuidv7();
      await graphqlRequest(
        identity.url,
        'query ($patientId: ID!) { auditEntries(filter: { patientId: $patientId }) { totalCount } }',
        { patientId: nobody },
        await keys.headersFor(reader),
      );
      expect((await readsOf(nobody))?.map((entry) => entry.subgraph)).toEqual(['identity']);
    }, 60_000);

    it('answers nobody but an ADMIN', async () => {
      for (const role of ['FRONT_DESK', 'CLINICIAN', 'BILLING', 'PATIENT', 'INTEGRATION'] as const) {
        const response = await as(
          {
            role,
            ...(role === 'PATIENT' ? { patientId: uuidv7() } : {}),
            ...(role === 'CLINICIAN' ? { doctorId: uuidv7() } : {}),
          },
          {},
        );
        expect([role, errorCode(response), response.data ?? null]).toEqual([role, 'FORBIDDEN', null]);
      }
      expect(errorCode(await as(undefined, {}))).toBe('UNAUTHENTICATED');
      await expect(identity.auditTrail.entries(undefined, {}, 10, null)).rejects.toThrow(/Authentication/);
    }, 60_000);

    it('refuses UPDATE, DELETE and TRUNCATE on audit_entries, for its own service too', async () => {
      const data = batch();
      await publish(data);
      await arrived({ userId: data.userId }, 1);
      await expect(
        sql`update audit_entries set outcome = 'DENIED' where user_id = ${data.userId}`.execute(database.db),
      ).rejects.toThrow(/append-only: UPDATE refused/);
      await expect(
        sql`delete from audit_entries where user_id = ${data.userId}`.execute(database.db),
      ).rejects.toThrow(/append-only: DELETE refused/);
      await expect(sql`truncate audit_entries`.execute(database.db)).rejects.toThrow(
        /append-only: TRUNCATE refused/,
      );
      expect((await entriesOf({ userId: data.userId }))?.edges.map((edge) => edge.node.outcome)).toEqual([
        'ALLOWED',
      ]);
    }, 60_000);
  });
}
