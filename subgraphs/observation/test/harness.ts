import { silentLogger } from '@hsg/kit';
import type { EventTransport } from '@hsg/kit/events';
import { type RunningSubgraph, startSubgraph } from '@hsg/kit/runtime';
import type { SqlDatabase } from '@hsg/kit/sql';
import {
  type EventBackend,
  type GraphQLResponse,
  graphqlRequest,
  sharedTestKeys,
  sqlProbes,
  type TestKeys,
  type TokenRequest,
  waitFor,
} from '@hsg/testing';
import { countingStore } from '@hsg/testing/contracts';
import type { Kysely } from 'kysely';
import type { ObservationSettings } from '../src/env.ts';
import { type ObservationSubgraph, observationSubgraph } from '../src/subgraph.ts';
import type { Tables } from '../src/tables.ts';
import { createFeed, type Feed } from './feed.ts';

/** "now" for the suites: patient ids minted now count as "registered a moment ago". */
export const START = new Date('2026-03-02T09:00:00Z');

type Db = Kysely<Tables & { kit_processed_events: { event_id: string }; kit_outbox: OutboxRow }>;
export interface OutboxRow {
  seq: number;
  topic: string;
  key: string;
  payload: string;
}

/** The running observation subgraph on one backend, the event feed and store-call counters. */
export interface Harness {
  service: RunningSubgraph<ObservationSubgraph>;
  transport: EventTransport;
  database: SqlDatabase;
  db: Db;
  feed: Feed;
  calls: Map<string, number>;
  keys: TestKeys;
  /** Sends as INTEGRATION unless `who` says otherwise. */
  gql(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
  as(who: TokenRequest, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
  applied(eventId: string): Promise<void>;
  /** A patient observation heard of; with a doctor who booked them when `doctorId` is given. */
  patient(doctorId?: string): Promise<{ patientId: string; mrn: string }>;
  count(
    table: 'observations' | 'observation_revisions' | 'lab_batches',
    column: string,
    value: string,
  ): Promise<number>;
  /** The events observation put into its outbox for a key, oldest first. */
  outbox(key: string, topic?: string): Promise<Array<{ type: string; data: Record<string, unknown> }>>;
  stop(): Promise<void>;
}

export async function startHarness(
  backend: EventBackend,
  settings: Partial<ObservationSettings> = {},
): Promise<Harness> {
  const clock = () => START;
  const calls = new Map<string, number>();
  const database = await backend.sql.open(backend.sql.newNamespace());
  const transport = await backend.transport();
  const keys = await sharedTestKeys();
  const service = await startSubgraph(observationSubgraph, {
    auth: { jwks: keys.jwks },
    database,
    transport,
    logger: silentLogger(),
    port: 0,
    clock,
    settings: { PROJECTION_WAIT_MS: 300, ...settings },
    instrumentStore: (store) => countingStore(store, calls),
  });
  const feed = createFeed(transport, clock);
  const db = database.db as Db;
  const as: Harness['as'] = async (who, query, variables) =>
    graphqlRequest(service.url, query, variables, await keys.headersFor(who));
  const probes = sqlProbes(db);
  const harness: Harness = {
    service,
    transport,
    database,
    db,
    feed,
    calls,
    keys,
    gql: (query, variables) => as({ role: 'INTEGRATION' }, query, variables),
    as,
    applied: probes.applied,
    async patient(doctorId) {
      const patientId = feed.newId();
      const mrn = `MRN-${patientId.slice(-12)}`;
      await harness.applied((await feed.registerPatient(patientId)).id);
      if (doctorId) await harness.applied((await feed.book(feed.newId(), { patientId, doctorId })).id);
      return { patientId, mrn };
    },
    count: probes.count,
    outbox: (key, topic = 'observation.events') => probes.outbox(key, topic),
    stop: () => service.stop(),
  };
  await waitFor(() => service.workers.projections.state() === 'ready', 60_000);
  return harness;
}
