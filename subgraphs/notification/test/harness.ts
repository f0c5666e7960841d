import { createLogger, type Logger, silentLogger } from '@hsg/kit';
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
import type { NotificationSettings } from '../src/env.ts';
import { type NotificationSubgraph, notificationSubgraph } from '../src/subgraph.ts';
import type { NotificationRow, Tables } from '../src/tables.ts';
import { createFeed, type Feed, type Parties } from './feed.ts';

export const NOTIFICATION_FIELDS =
  'id kind patient { id } recipient { kind id } channel status subject body createdAt sentAt attempts';

type Db = Kysely<Tables & { kit_outbox: { seq: number; topic: string; key: string; payload: string } }>;

/** Fast retries and polls: a test waits for outcomes, never for a timer of its own. */
export const fastSettings: Partial<NotificationSettings> = {
  NOTIFICATION_POLL_MS: 100,
  NOTIFICATION_RETRY_INITIAL_MS: 20,
  NOTIFICATION_RETRY_MAX_MS: 200,
};

/** The running notification subgraph on one backend, the event feed, store-call counters and probes. */
export interface Harness {
  service: RunningSubgraph<NotificationSubgraph>;
  transport: EventTransport;
  database: SqlDatabase;
  db: Db;
  feed: Feed;
  calls: Map<string, number>;
  keys: TestKeys;
  /** Every log line the subgraph wrote (JSON), when started with `captureLogs`. */
  logs: string[];
  /** Sends as a front desk unless `headers` say otherwise. */
  gql(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse>;
  as(who: TokenRequest, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
  /** Waits until the inbox has applied the event with this id. */
  applied(eventId: string): Promise<void>;
  /** The notifications an event made, however many (the tests say one or none). */
  notificationsOf(eventId: string): Promise<NotificationRow[]>;
  /** Waits for the event to be applied, then answers its one notification (throws if it has none). */
  notificationOf(eventId: string): Promise<NotificationRow>;
  /** Waits until the notification is no longer PENDING, then answers it. */
  settled(notificationId: string, timeoutMs?: number): Promise<NotificationRow>;
  /** A patient and a doctor, both heard of. */
  parties(
    patient?: Parameters<Feed['registerPatient']>[1],
    doctor?: Parameters<Feed['registerDoctor']>[1],
  ): Promise<Parties & { mrn: string; licenseNumber: string }>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  settings?: Partial<NotificationSettings>;
  /** Keep every log line (at debug) in `logs`. */
  captureLogs?: boolean;
}

export async function startHarness(backend: EventBackend, options: HarnessOptions = {}): Promise<Harness> {
  const calls = new Map<string, number>();
  const logs: string[] = [];
  const logger: Logger = options.captureLogs
    ? createLogger({
        service: 'notification',
        level: 'debug',
        destination: { write: (line) => logs.push(line) },
      })
    : silentLogger();
  const database = await backend.sql.open(backend.sql.newNamespace());
  const transport = await backend.transport();
  const keys = await sharedTestKeys();
  const desk = await keys.headersFor({ role: 'FRONT_DESK', expiresIn: 3600 });
  const service = await startSubgraph(notificationSubgraph, {
    auth: { jwks: keys.jwks },
    database,
    transport,
    logger,
    port: 0,
    settings: { ...fastSettings, ...options.settings },
    instrumentStore: (store) => countingStore(store, calls),
  });
  const feed = createFeed(transport);
  const db = database.db as Db;
  const probes = sqlProbes(db);
  const gql: Harness['gql'] = (query, variables, headers) =>
    graphqlRequest(service.url, query, variables, { ...desk, ...headers });
  const notificationsOf = (eventId: string) =>
    db.selectFrom('notifications').selectAll().where('event_id', '=', eventId).execute();
  const row = (id: string) =>
    db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  const harness: Harness = {
    service,
    transport,
    database,
    db,
    feed,
    calls,
    keys,
    logs,
    gql,
    as: async (who, query, variables) => gql(query, variables, await keys.headersFor(who)),
    applied: probes.applied,
    notificationsOf,
    async notificationOf(eventId) {
      await probes.applied(eventId);
      const [first, ...rest] = await notificationsOf(eventId);
      if (!first || rest.length > 0)
        throw new Error(`event ${eventId} made ${rest.length + (first ? 1 : 0)} notifications`);
      return first;
    },
    async settled(id, timeoutMs = 60_000) {
      await waitFor(async () => (await row(id)).status !== 'PENDING', timeoutMs);
      return row(id);
    },
    async parties(patient = {}, doctor = {}) {
      const patientId = feed.newId();
      const doctorId = feed.newId();
      const registered = await feed.registerPatient(patientId, patient);
      const known = await feed.registerDoctor(doctorId, doctor);
      await probes.applied(registered.id);
      await probes.applied(known.id);
      return {
        patientId,
        doctorId,
        mrn: registered.data.patient.mrn,
        licenseNumber: known.data.doctor.licenseNumber,
      };
    },
    stop: () => service.stop(),
  };
  await waitFor(() => service.workers.inbox.state() === 'ready', 60_000);
  return harness;
}
