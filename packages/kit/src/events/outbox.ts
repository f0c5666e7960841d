import type { Generated, Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AnyKysely, SqlDatabase } from '../sql/types.ts';
import {
  type CloudEvent,
  cloudEventContentType,
  createEvent,
  type EventDefinition,
  type NewEvent,
} from './envelope.ts';
import { createLeasedLoop } from './leased-loop.ts';
import type { ComponentState, EventTransport, TransportRecord } from './transport.ts';

export const outboxChannel = (namespace: string): string => `kit_outbox_${namespace}`.slice(0, 63);

export interface OutgoingEvent {
  definition: EventDefinition;
  event: CloudEvent;
}

/** Builds a validated event ready for `enqueueEvents`. */
export function outgoing<Type extends string, Data>(
  definition: EventDefinition<Type, Data>,
  event: NewEvent<Data>,
): OutgoingEvent {
  return { definition: definition as EventDefinition, event: createEvent(definition, event) };
}

/** What caused a change: its trace context travels into the events the change emits. */
export interface EventCause {
  traceparent?: string | undefined;
}

/**
 * Builds one producer's events: `definition` names type and topic, `subject` is the aggregate's id (the
 * partition key), `data` is checked against the definition's schema, `cause` carries the trace context.
 */
export type EventBuilder = <Type extends string, Data>(
  definition: EventDefinition<Type, Data>,
  subject: string,
  data: NoInfer<Data>,
  cause?: EventCause,
) => OutgoingEvent;

/** The one way a producer builds its events: `const event = eventsFrom('urn:hsg:subgraph:patient')`. */
export function eventsFrom(source: string): EventBuilder {
  return (definition, subject, data, cause = {}) =>
    outgoing(definition, { source, subject, data, traceparent: cause.traceparent });
}

/**
 * Writes events into the outbox inside the caller's transaction, so they commit (or roll back) together
 * with the state change, and wakes the relay once that transaction commits.
 */
export async function enqueueEvents(
  database: SqlDatabase,
  trx: AnyKysely,
  events: OutgoingEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await (trx as Kysely<OutboxTables>).insertInto('kit_outbox').values(outboxRows(events)).execute();
  await database.notify(trx, outboxChannel(database.namespace));
}

/**
 * Writes events into the outbox on their own, outside any transaction, as ONE statement, and does not
 * wake the relay: it publishes them at its next pass (within its poll interval, 1 s by default, or sooner
 * when a change's NOTIFY wakes it). For writes that ride along with every request, such as its audit
 * records: one round trip each, and under load the relay takes hundreds per pass, where a NOTIFY per
 * request would wake it (a query, a send and an update) per request and serialize the commits of every
 * notifying session on Postgres' notify lock.
 */
export async function appendEvents(database: SqlDatabase, events: OutgoingEvent[]): Promise<void> {
  if (events.length === 0) return;
  await (database.db as Kysely<OutboxTables>).insertInto('kit_outbox').values(outboxRows(events)).execute();
}

function outboxRows(events: OutgoingEvent[]) {
  return events.map(({ definition, event }) => ({
    event_id: event.id,
    topic: definition.topic,
    key: event.subject,
    payload: JSON.stringify(event),
    headers: JSON.stringify(recordHeaders(event)),
  }));
}

function recordHeaders(event: CloudEvent): Record<string, string> {
  return {
    'content-type': cloudEventContentType,
    ce_type: event.type,
    ce_id: event.id,
    ...(event.traceparent ? { traceparent: event.traceparent } : {}),
  };
}

interface OutboxTables {
  kit_outbox: {
    seq: Generated<number>;
    event_id: string;
    topic: string;
    key: string;
    payload: string;
    headers: string | Record<string, string>;
    sent_at: Date | null;
  };
}

export interface OutboxRelayOptions {
  database: SqlDatabase;
  transport: EventTransport;
  logger: Logger;
  batchSize?: number;
  /** Fallback poll when no notification arrives (e.g. rows written by another process on MySQL). */
  pollIntervalMs?: number;
  leaseMs?: number;
  /** Published rows older than this are deleted. */
  retentionMs?: number;
}

export interface OutboxRelay {
  start(): Promise<void>;
  stop(): Promise<void>;
  wake(): void;
  state(): ComponentState;
  stats(): { published: number; failures: number };
}

/**
 * Publishes outbox rows in commit order and marks them sent. While the transport is down rows simply wait;
 * the relay backs off and resumes where it stopped. One relay per namespace publishes at a time (a lease),
 * so two service instances never interleave and reorder a key's events.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { database, transport, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const retentionMs = options.retentionMs ?? 24 * 3600_000;
  const db = database.db as Kysely<OutboxTables>;
  let published = 0;
  let lastCleanup = 0;

  async function publishBatch(): Promise<number> {
    const rows = await db
      .selectFrom('kit_outbox')
      .select(['seq', 'topic', 'key', 'payload', 'headers'])
      .where('sent_at', 'is', null)
      .orderBy('seq')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return 0;
    const records: TransportRecord[] = rows.map((row) => ({
      topic: row.topic,
      key: row.key,
      value: row.payload,
      headers: typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers,
    }));
    await transport.send(records);
    await db
      .updateTable('kit_outbox')
      .set({ sent_at: new Date() })
      .where(
        'seq',
        'in',
        rows.map((row) => row.seq),
      )
      .execute();
    published += rows.length;
    return rows.length;
  }

  async function cleanup(): Promise<void> {
    if (Date.now() - lastCleanup < 60_000) return;
    lastCleanup = Date.now();
    await db
      .deleteFrom('kit_outbox')
      .where('sent_at', '<', new Date(Date.now() - retentionMs))
      .execute();
  }

  const loop = createLeasedLoop({
    database,
    lease: 'outbox-relay',
    leaseMs: options.leaseMs ?? 15_000,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    channel: outboxChannel(database.namespace),
    logger,
    name: 'outbox relay',
    readyWhileStandingBy: true, // another instance publishes
    async work() {
      if ((await publishBatch()) === batchSize) return 'more';
      await cleanup();
      return 'idle';
    },
  });

  return {
    start: loop.start,
    stop: loop.stop,
    wake: loop.wake,
    state: loop.state,
    stats: () => ({ published, failures: loop.failures() }),
  };
}
