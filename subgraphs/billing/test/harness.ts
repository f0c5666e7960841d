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
import type { BillingSettings } from '../src/env.ts';
import { type BillingSubgraph, billingSubgraph } from '../src/subgraph.ts';
import type { Tables } from '../src/tables.ts';
import { createFeed, type Feed } from './feed.ts';

/** "now" for the suites: invoices issued now are INV-2026-…, due 14 days later. */
export const START = new Date('2026-03-02T09:00:00Z');

export const INVOICE_FIELDS =
  'id number status total { amount currency } paid { amount currency } outstanding { amount currency } issuedAt dueDate version pdfUrl voidReason lines { description quantity unitPrice { amount currency } amount { amount currency } } account { id accountNumber } patient { id } appointment { id }';

export interface Parties {
  patientId: string;
  doctorId: string;
}

type Db = Kysely<Tables & { kit_processed_events: { event_id: string }; kit_outbox: OutboxRow }>;
export interface OutboxRow {
  seq: number;
  topic: string;
  key: string;
  payload: string;
}

/** The running billing subgraph on one backend, its fake clock, the event feed and store-call counters. */
export interface Harness {
  service: RunningSubgraph<BillingSubgraph>;
  transport: EventTransport;
  database: SqlDatabase;
  db: Db;
  feed: Feed;
  calls: Map<string, number>;
  keys: TestKeys;
  /** The subgraph's origin (where /invoices/:id/pdf is served). */
  origin: string;
  /** Sends as billing staff unless `headers` say otherwise. */
  gql(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse>;
  as(who: TokenRequest, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
  /** Waits until the ledger has applied the event with this id. */
  applied(eventId: string): Promise<void>;
  /** A patient and a doctor, both heard of (the patient's account open). */
  parties(doctor?: Parameters<Feed['registerDoctor']>[1]): Promise<Parties>;
  /** Publishes a completion and waits until its invoice is issued; returns the invoice id. */
  completed(parties: Parties): Promise<{ appointmentId: string; invoiceId: string }>;
  invoiceIdOf(appointmentId: string): Promise<string | undefined>;
  count(table: 'accounts' | 'invoices' | 'payments', column: string, value: string): Promise<number>;
  /** The events billing put into its outbox for a key, oldest first. */
  outbox(key: string, topic?: string): Promise<Array<{ type: string; data: Record<string, unknown> }>>;
  stop(): Promise<void>;
}

export async function startHarness(
  backend: EventBackend,
  settings: Partial<BillingSettings> = {},
): Promise<Harness> {
  const clock = () => START;
  const calls = new Map<string, number>();
  const database = await backend.sql.open(backend.sql.newNamespace());
  const transport = await backend.transport();
  const keys = await sharedTestKeys();
  const staff = await keys.headersFor({ role: 'BILLING', expiresIn: 3600 });
  const service = await startSubgraph(billingSubgraph, {
    auth: { jwks: keys.jwks },
    database,
    transport,
    logger: silentLogger(),
    port: 0,
    clock,
    settings,
    instrumentStore: (store) => countingStore(store, calls),
  });
  const feed = createFeed(transport, clock);
  const db = database.db as Db;
  const gql: Harness['gql'] = (query, variables, headers) =>
    graphqlRequest(service.url, query, variables, { ...staff, ...headers });
  const invoiceIdOf = async (appointmentId: string) =>
    (
      await db
        .selectFrom('invoices')
        .select('id')
        .where('appointment_id', '=', appointmentId)
        .executeTakeFirst()
    )?.id;

  const probes = sqlProbes(db);
  const harness: Harness = {
    service,
    transport,
    database,
    db,
    feed,
    calls,
    keys,
    origin: service.url.replace(/\/graphql$/, ''),
    gql,
    as: async (who, query, variables) => gql(query, variables, await keys.headersFor(who)),
    applied: probes.applied,
    async parties(doctor = {}) {
      const patientId = feed.newId();
      const doctorId = feed.newId();
      const registered = await feed.registerPatient(patientId);
      const known = await feed.registerDoctor(doctorId, doctor);
      await harness.applied(registered.id);
      await harness.applied(known.id);
      return { patientId, doctorId };
    },
    async completed(parties) {
      const appointmentId = feed.newId();
      await harness.applied((await feed.complete(appointmentId, parties)).id);
      const invoiceId = await invoiceIdOf(appointmentId);
      if (!invoiceId) throw new Error('the completion issued no invoice');
      return { appointmentId, invoiceId };
    },
    invoiceIdOf,
    count: probes.count,
    outbox: (key, topic = 'billing.events') => probes.outbox(key, topic),
    stop: () => service.stop(),
  };
  await waitFor(() => service.workers.ledger.state() === 'ready', 60_000);
  return harness;
}
