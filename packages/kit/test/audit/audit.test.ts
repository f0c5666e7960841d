import { Writable } from 'node:stream';
import { setupTimeoutMs, sharedTestKeys, type TokenRequest } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import { z } from 'zod';
import {
  type AuditBatch,
  type AuditEventData,
  type AuditEventDefinition,
  type AuditSink,
  auditedWrite,
  outboxAuditSink,
} from '../../src/audit/index.ts';
import type { Principal } from '../../src/auth/index.ts';
import { defineEvent, eventKitMigrations, type OutgoingEvent } from '../../src/events/index.ts';
import { createLogger, silentLogger } from '../../src/index.ts';
import { createSubgraphServer, type EngineName, type RequestContext } from '../../src/runtime/index.ts';
import { EmbeddedPostgres, runMigrations, type SqlDatabase } from '../../src/sql/index.ts';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7",
    import: ["@key", "@requiresScopes", "@policy"])
  type Patient @key(fields: "id") @policy(policies: [["patient.visible"]]) {
    id: ID!
    name: String @requiresScopes(scopes: [["patients:read"]])
    birthDate: String
  }
  type Note { patientId: ID!  text: String }
  type Doctor { id: ID!  name: String }
  type Query {
    patient(id: ID!): Patient
    patients: [Patient!]!
    notes(patientId: ID!): [Note!]!
    doctor: Doctor
    secretPatient(id: ID!): Patient @requiresScopes(scopes: [["users:manage"]])
  }
  type Mutation {
    renamePatient(id: ID!, name: String!): Patient @policy(policies: [["patient.renamable"]])
    touchPatient(id: ID!): Patient
  }
`);

const patients = [
  { id: 'p1', name: 'Ada', birthDate: '1990-01-01' },
  { id: 'p2', name: 'Bob', birthDate: '1980-02-02' },
];
const byId = (id: string) => patients.find((patient) => patient.id === id) ?? null;
/** What the resolvers' "transactions" committed: the events a change carried. */
const committed: OutgoingEvent[] = [];
let renamed = 0;

const resolvers = {
  Query: {
    patient: (_: unknown, { id }: { id: string }) => byId(id),
    patients: () => patients,
    notes: (_: unknown, { patientId }: { patientId: string }) => [
      { patientId, text: 'a' },
      { patientId, text: 'b' },
    ],
    doctor: () => ({ id: 'd1', name: 'Dr Who' }),
    secretPatient: (_: unknown, { id }: { id: string }) => byId(id),
  },
  Mutation: {
    renamePatient: (_: unknown, { id, name }: { id: string; name: string }, context: RequestContext) => {
      renamed += 1;
      committed.push(...auditedWrite(context, id)); // as a store writes it with the change's events
      return { ...byId(id), name };
    },
    // A change whose domain does not record its write itself: the kit records the answer afterwards.
    touchPatient: (_: unknown, { id }: { id: string }) => byId(id),
  },
  Patient: { __resolveReference: ({ id }: { id: string }) => byId(id) },
};

const own = (principal: Principal, id: unknown) =>
  principal.role === 'FRONT_DESK' || principal.role === 'INTEGRATION' || principal.patientId === id;
const policies = {
  'patient.visible': ({ principal, value }: { principal: Principal; value: unknown }) =>
    own(principal, (value as { id: string }).id),
  'patient.renamable': ({ principal, args }: { principal: Principal; args: Record<string, unknown> }) =>
    own(principal, args.id),
};

const testAuditEvent = defineEvent({
  type: 'audit.recorded',
  topic: 'audit.events',
  data: z.custom<AuditEventData>(() => true),
}) satisfies AuditEventDefinition;

/** A sink keeping what it was given; `failing` makes it refuse, as a lost database would. */
function memorySink() {
  const written: Array<{ batch: AuditBatch; traceparent: string | undefined }> = [];
  const sink = {
    failing: false,
    written,
    batches: () => written.map(({ batch }) => batch),
    async write(batch: AuditBatch, traceparent?: string) {
      if (sink.failing) throw Object.assign(new Error('insert of p1 failed'), { code: '08006' });
      written.push({ batch, traceparent });
    },
  };
  return sink;
}

async function serve(engine: EngineName, sink: AuditSink, logger = silentLogger()) {
  const keys = await sharedTestKeys();
  const server = createSubgraphServer<RequestContext>({
    engine,
    typeDefs,
    resolvers,
    context: () => ({}),
    logger,
    auth: { jwks: keys.jwks },
    policies,
    audit: {
      subgraph: 'clinic',
      sink,
      event: testAuditEvent,
      types: { Patient: (patient: { id: string }) => patient.id, Note: (note) => note.patientId },
      targets: { 'Mutation.renamePatient': ({ args }) => args.id },
    },
  });
  const port = await server.start(0);
  const as = async (request: TokenRequest | undefined, query: string, variables = {}, headers = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(request ? await keys.headersFor(request) : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        data?: Record<string, unknown> | null;
        errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
      },
    };
  };
  return { as, stop: () => server.stop() };
}

const frontDesk = { role: 'FRONT_DESK', userId: 'u-desk' } as const;
const patientP1 = { role: 'PATIENT', patientId: 'p1', userId: 'u-p1' } as const;
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe.each(['apollo', 'mercurius'] as const)('audit on %s', (engine) => {
  const sink = memorySink();
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(engine, sink);
  });
  afterAll(() => server.stop());
  const writes = async (run: () => Promise<unknown>) => {
    const before = sink.written.length;
    await run();
    return sink.batches().slice(before);
  };

  it('records a read: who, role, the patient, the fields asked, allowed', async () => {
    let answer: Awaited<ReturnType<typeof server.as>> | undefined;
    const batches = await writes(async () => {
      answer = await server.as(
        frontDesk,
        'query Chart { patient(id: "p1") { id name } }',
        {},
        { traceparent },
      );
    });
    expect(answer?.body).toEqual({ data: { patient: { id: 'p1', name: 'Ada' } } });
    expect(batches).toEqual([
      {
        subgraph: 'clinic',
        userId: 'u-desk',
        role: 'FRONT_DESK',
        operationName: 'Chart',
        operationType: 'READ',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        records: [
          {
            patientId: 'p1',
            outcome: 'ALLOWED',
            fields: ['Patient.id', 'Patient.name'],
            rootFields: ['patient'],
          },
        ],
      },
    ]);
    expect(sink.written.at(-1)?.traceparent).toBe(traceparent);
  });

  it('writes one batch per request, one record per patient with the union of what was asked', async () => {
    const batches = await writes(() =>
      server.as(
        frontDesk,
        `{ one: patient(id: "p1") { name } patients { id ...Born } notes(patientId: "p2") { text }
           skipped: patient(id: "p2") @skip(if: true) { id } }
         fragment Born on Patient { birthDate }`,
      ),
    );
    expect(batches).toHaveLength(1);
    expect(batches[0]?.records).toEqual([
      {
        patientId: 'p1',
        outcome: 'ALLOWED',
        fields: ['Patient.birthDate', 'Patient.id', 'Patient.name'],
        rootFields: ['patient', 'patients'],
      },
      {
        patientId: 'p2',
        outcome: 'ALLOWED',
        fields: ['Note.text', 'Patient.birthDate', 'Patient.id'],
        rootFields: ['notes', 'patients'],
      },
    ]);
  });

  it('records a denial by the type rule, and the objects a list left out, as DENIED', async () => {
    let answer: Awaited<ReturnType<typeof server.as>> | undefined;
    const single = await writes(async () => {
      answer = await server.as(patientP1, '{ patient(id: "p2") { name } }');
    });
    expect(answer?.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(single.map((batch) => batch.records)).toEqual([
      [{ patientId: 'p2', outcome: 'DENIED', fields: ['Patient.name'], rootFields: ['patient'] }],
    ]);
    const list = await writes(() => server.as(patientP1, '{ patients { id } }'));
    expect(list[0]?.records).toEqual([
      { patientId: 'p1', outcome: 'ALLOWED', fields: ['Patient.id'], rootFields: ['patients'] },
      { patientId: 'p2', outcome: 'DENIED', fields: ['Patient.id'], rootFields: ['patients'] },
    ]);
  });

  it('records a field refused on a patient as DENIED and leaves it out of what was read', async () => {
    const batches = await writes(() =>
      server.as({ role: 'INTEGRATION', userId: 'u-lab' }, '{ patient(id: "p1") { id name birthDate } }'),
    );
    expect(batches[0]?.records).toEqual([
      {
        patientId: 'p1',
        outcome: 'ALLOWED',
        fields: ['Patient.birthDate', 'Patient.id'],
        rootFields: ['patient'],
      },
      { patientId: 'p1', outcome: 'DENIED', fields: ['Patient.name'], rootFields: ['patient'] },
    ]);
    const refused = await writes(() => server.as(frontDesk, '{ secretPatient(id: "p1") { name } }'));
    expect(refused[0]?.records).toEqual([
      { patientId: null, outcome: 'DENIED', fields: ['Patient.name'], rootFields: ['secretPatient'] },
    ]);
  });

  it('records entities the router asks for, allowed and denied', async () => {
    const batches = await writes(() =>
      server.as(
        patientP1,
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { name } } }',
        {
          r: [
            { __typename: 'Patient', id: 'p1' },
            { __typename: 'Patient', id: 'p2' },
          ],
        },
      ),
    );
    expect(batches[0]?.records).toEqual([
      { patientId: 'p1', outcome: 'ALLOWED', fields: ['Patient.name'], rootFields: ['_entities'] },
      { patientId: 'p2', outcome: 'DENIED', fields: ['Patient.name'], rootFields: ['_entities'] },
    ]);
  });

  it('records writes: with the change when its domain does, else with the answer; a refused one as DENIED', async () => {
    const inChange = committed.length;
    const recorded = await writes(() =>
      server.as(patientP1, 'mutation Rename { renamePatient(id: "p1", name: "Ada L") { id name } }'),
    );
    expect(recorded).toEqual([]); // nothing left to write after the change: its record committed with it
    expect(
      committed.slice(inChange).flatMap((event) => (event.event.data as AuditEventData).requests),
    ).toEqual([
      expect.objectContaining({
        operationType: 'WRITE',
        operationName: 'Rename',
        records: [
          {
            patientId: 'p1',
            outcome: 'ALLOWED',
            fields: ['Patient.id', 'Patient.name'],
            rootFields: ['renamePatient'],
          },
        ],
      }),
    ]);
    const touched = await writes(() => server.as(frontDesk, 'mutation { touchPatient(id: "p2") { id } }'));
    expect(touched).toEqual([
      expect.objectContaining({
        operationType: 'WRITE',
        records: [
          { patientId: 'p2', outcome: 'ALLOWED', fields: ['Patient.id'], rootFields: ['touchPatient'] },
        ],
      }),
    ]);
    const before = renamed;
    const refused = await writes(() =>
      server.as(patientP1, 'mutation { renamePatient(id: "p2", name: "x") { id } }'),
    );
    expect(renamed).toBe(before);
    expect(refused).toEqual([
      expect.objectContaining({
        operationType: 'WRITE',
        records: [
          { patientId: 'p2', outcome: 'DENIED', fields: ['Patient.id'], rootFields: ['renamePatient'] },
        ],
      }),
    ]);
  });

  it('writes nothing when no patient data was touched, or nobody is calling', async () => {
    const batches = await writes(async () => {
      expect((await server.as(frontDesk, '{ doctor { name } }')).body).toEqual({
        data: { doctor: { name: 'Dr Who' } },
      });
      await server.as(frontDesk, '{ __typename }');
      expect(
        (await server.as(undefined, '{ patient(id: "p1") { id } }')).body.errors?.[0]?.extensions?.code,
      ).toBe('UNAUTHENTICATED');
      await server.as(frontDesk, '{ patient(id: "nobody") { id } }');
    });
    expect(batches).toEqual([]);
  });
});

describe.each(['apollo', 'mercurius'] as const)('a failed audit write on %s', (engine) => {
  it('answers UNAVAILABLE without data, and logs no patient id', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const sink = memorySink();
    const server = await serve(engine, sink, createLogger({ service: 'clinic', destination }));
    try {
      sink.failing = true;
      const refused = await server.as(frontDesk, '{ patient(id: "p1") { id name } }');
      expect(refused).toEqual({
        status: 503,
        body: {
          errors: [
            {
              message: expect.stringMatching(/could not be recorded/),
              extensions: { code: 'UNAVAILABLE', retriable: true },
            },
          ],
        },
      });
      const mutation = await server.as(frontDesk, 'mutation { touchPatient(id: "p1") { id } }');
      expect(mutation.status).toBe(503);
      expect(mutation.body.data).toBeUndefined();
      // Nothing to record, nothing to fail.
      expect((await server.as(frontDesk, '{ doctor { id } }')).status).toBe(200);
      sink.failing = false;
      expect((await server.as(frontDesk, '{ patient(id: "p1") { id } }')).body).toEqual({
        data: { patient: { id: 'p1' } },
      });
      const logged = lines.join('');
      expect(logged).toMatch(/audit write failed/);
      expect(logged).toMatch(/08006/);
      expect(logged).not.toMatch(/p1|Ada/);
    } finally {
      await server.stop();
    }
  });
});

describe('the outbox sink', () => {
  let postgres: EmbeddedPostgres;
  let database: SqlDatabase;
  const statements: string[] = [];
  beforeAll(async () => {
    postgres = await EmbeddedPostgres.open();
    database = await postgres.database('audit_sink', { onQuery: ({ sql }) => statements.push(sql) });
    await runMigrations(database, [eventKitMigrations]);
  }, setupTimeoutMs);
  afterAll(async () => {
    await database.close();
    await postgres.close();
  });

  it.each(['apollo', 'mercurius'] as const)(
    'writes one INSERT per request on %s, none without patient data',
    async (engine) => {
      const server = await serve(engine, outboxAuditSink(database, { event: testAuditEvent }));
      try {
        statements.length = 0;
        await server.as(
          frontDesk,
          '{ patient(id: "p1") { name } patients { id } notes(patientId: "p2") { text } }',
        );
        expect(statements).toHaveLength(1);
        expect(statements[0]).toMatch(/^insert into "kit_outbox"/);
        statements.length = 0;
        await server.as(frontDesk, '{ doctor { id } }');
        expect(statements).toEqual([]);
        const rows = await database.db
          .selectFrom('kit_outbox')
          .select(['topic', 'key', 'payload'])
          .orderBy('seq', 'desc')
          .limit(1)
          .execute();
        expect(rows[0]).toMatchObject({ topic: 'audit.events', key: 'clinic' });
        const payload = JSON.parse(String(rows[0]?.payload)) as { type: string; data: AuditEventData };
        expect(payload.type).toBe('audit.recorded');
        expect(payload.data.requests.map((request) => request.userId)).toEqual(['u-desk']);
        expect(payload.data.requests[0]?.records.map((record) => record.patientId)).toEqual(['p1', 'p2']);
      } finally {
        await server.stop();
      }
    },
  );
});

describe('the outbox sink under load', () => {
  /** A database whose INSERTs wait until the test lets them finish (or fail), and say what they wrote. */
  function gatedDatabase() {
    const inserts: Array<{ rows: unknown[]; finish: () => void; fail: (error: Error) => void }> = [];
    const db = {
      insertInto: () => ({
        values: (rows: unknown[]) => ({
          execute: () =>
            new Promise<void>((finish, fail) => {
              inserts.push({ rows, finish, fail });
            }),
        }),
      }),
    };
    return { database: { dialect: 'postgres', db, namespace: 'gated' } as unknown as SqlDatabase, inserts };
  }
  const batch = (id: number, records = 1): AuditBatch => ({
    subgraph: 'clinic',
    userId: `u${id}`,
    role: 'FRONT_DESK',
    operationName: null,
    operationType: 'READ',
    at: new Date(0).toISOString(),
    traceId: null,
    records: Array.from({ length: records }, (_, n) => ({
      patientId: `p${id}.${n}`,
      outcome: 'ALLOWED' as const,
      fields: ['Patient.id'],
      rootFields: ['patient'],
    })),
  });
  /** The users of the requests each row's event carries. */
  const usersPerRow = (rows: unknown[]) =>
    rows.map((row) =>
      (
        JSON.parse(String((row as { payload: string }).payload)) as { data: AuditEventData }
      ).data.requests.map((request) => request.userId),
    );
  const settled = (promise: Promise<void>) =>
    promise.then(
      () => 'written',
      () => 'failed',
    );

  it('writes what queued behind an INSERT in flight with the next one, in one event, each request waiting for it', async () => {
    const { database, inserts } = gatedDatabase();
    const sink = outboxAuditSink(database, { event: testAuditEvent });
    const first = settled(sink.write(batch(1), traceparent));
    const queued = [2, 3, 4].map((id) => settled(sink.write(batch(id))));
    expect(inserts.map((insert) => usersPerRow(insert.rows))).toEqual([[['u1']]]);
    const [firstRow] = (inserts[0]?.rows ?? []) as Array<{ payload: string }>;
    expect(JSON.parse(String(firstRow?.payload))).toMatchObject({
      traceparent, // a request's trace context when its event is its own
    });
    inserts[0]?.finish();
    expect(await first).toBe('written');
    await new Promise((resolve) => setImmediate(resolve));
    expect(inserts.map((insert) => usersPerRow(insert.rows))).toEqual([[['u1']], [['u2', 'u3', 'u4']]]);
    inserts[1]?.fail(new Error('connection lost'));
    expect(await Promise.all(queued)).toEqual(['failed', 'failed', 'failed']);
    const later = settled(sink.write(batch(5)));
    await new Promise((resolve) => setImmediate(resolve));
    inserts[2]?.finish();
    expect(await later).toBe('written');
  });

  it('starts another event of the same INSERT when one would pass the record limit', async () => {
    const { database, inserts } = gatedDatabase();
    const sink = outboxAuditSink(database, { event: testAuditEvent, maxRecordsPerEvent: 5 });
    const first = sink.write(batch(1));
    const rest = [sink.write(batch(2, 3)), sink.write(batch(3, 2)), sink.write(batch(4, 9))];
    inserts[0]?.finish();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(usersPerRow(inserts[1]?.rows ?? [])).toEqual([['u2', 'u3'], ['u4']]);
    inserts[1]?.finish();
    await Promise.all(rest);
  });
});
