import { randomUUID } from 'node:crypto';
import type { Generated, Kysely } from 'kysely';
import type { Logger } from 'pino';
import { backoffDelay, pause } from '../retry.ts';
import { createWakeup } from '../signal.ts';
import { acquireLease, releaseLease } from '../sql/lease.ts';
import type { AnyKysely, SqlDatabase } from '../sql/types.ts';
import {
  type CloudEvent,
  cloudEventContentType,
  createEvent,
  type EventDefinition,
  type NewEvent,
} from './envelope.ts';
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
  const rows = events.map(({ definition, event }) => ({
    event_id: event.id,
    topic: definition.topic,
    key: event.subject,
    payload: JSON.stringify(event),
    headers: JSON.stringify(recordHeaders(event)),
  }));
  await (trx as Kysely<OutboxTables>).insertInto('kit_outbox').values(rows).execute();
  await database.notify(trx, outboxChannel(database.namespace));
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
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const leaseMs = options.leaseMs ?? 15_000;
  const retentionMs = options.retentionMs ?? 24 * 3600_000;
  const db = database.db as Kysely<OutboxTables>;
  const owner = randomUUID();
  const wakeup = createWakeup();
  const abort = new AbortController();
  let state: ComponentState = 'stopped';
  let published = 0;
  let failures = 0;
  let loop: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
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

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        if (!(await acquireLease(database, 'outbox-relay', owner, leaseMs))) {
          state = 'ready'; // another instance publishes; stand by
          await wakeup.wait(leaseMs / 3, abort.signal);
          continue;
        }
        const count = await publishBatch();
        if (failures > 0) logger.info({ after: failures }, 'outbox relay recovered');
        failures = 0;
        state = 'ready';
        if (count === batchSize) continue;
        await cleanup();
        await wakeup.wait(pollIntervalMs, abort.signal);
      } catch (error) {
        failures += 1;
        state = 'degraded';
        logger.warn({ err: error, failures }, 'outbox relay could not publish; retrying');
        await pause(backoffDelay(failures, { initialMs: 100, maxMs: 5000 }), abort.signal);
      }
    }
  }

  return {
    async start() {
      state = 'starting';
      try {
        unlisten = await database.listen(outboxChannel(database.namespace), () => wakeup.wake());
      } catch (error) {
        logger.warn({ err: error }, 'outbox relay cannot listen for notifications; polling only');
      }
      loop = run();
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopping';
      abort.abort();
      await loop;
      await unlisten?.();
      await releaseLease(database, 'outbox-relay', owner).catch(() => {});
      state = 'stopped';
    },
    wake: () => wakeup.wake(),
    state: () => state,
    stats: () => ({ published, failures }),
  };
}
