import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KafkaBroker, startKafkaBroker } from '@hsg/infra';
import { silentLogger } from '@hsg/kit';
import {
  createEvent,
  createEventConsumer,
  createKafkaTransport,
  createOutboxRelay,
  defineEvent,
  type EventConsumer,
  type EventTransport,
  enqueueEvents,
  eventKitMigrations,
  type OutboxRelay,
  on,
} from '@hsg/kit/events';
import { runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { realPostgresBackend, temporaryMigrations, uniqueName, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { z } from 'zod';

// Kafka itself goes down here, so this test runs its own broker rather than the shared one.
const backend = realPostgresBackend();
const logger = silentLogger();
const noted = defineEvent({
  type: 'outage.noted',
  topic: uniqueName('outage'),
  data: z.object({ n: z.number() }),
});
let dir: string;
let broker: KafkaBroker;
let producer: SqlDatabase;
let consumerDb: SqlDatabase;
const transports: EventTransport[] = [];
let relay: OutboxRelay;
let consumer: EventConsumer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kafka-outage-'));
  broker = await startKafkaBroker({ dir });
  const transport = () => {
    const created = createKafkaTransport({
      brokers: [broker.brokers],
      clientId: uniqueName('outage'),
      logger,
    });
    transports.push(created);
    return created;
  };
  const tables = await temporaryMigrations('outage', {
    '0001_notes.sql':
      'create table notes (n int primary key); create table applied (event_id text not null, n int not null);',
  });
  producer = await backend.open(backend.newNamespace());
  consumerDb = await backend.open(backend.newNamespace());
  await runMigrations(producer, [eventKitMigrations, tables]);
  await runMigrations(consumerDb, [eventKitMigrations, tables]);
  relay = createOutboxRelay({ database: producer, transport: transport(), logger, pollIntervalMs: 200 });
  consumer = createEventConsumer({
    transport: transport(),
    database: consumerDb,
    groupId: uniqueName('outage'),
    logger,
    subscriptions: [
      on(noted, async (event, trx) => {
        await sql`insert into applied (event_id, n) values (${event.id}, ${event.data.n})`.execute(trx);
      }),
    ],
  });
  await consumer.start();
  await relay.start();
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  await consumer?.stop();
  for (const transport of transports) await transport.close();
  await producer?.close();
  await consumerDb?.close();
  await backend.dispose();
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
}, 120_000);

it('delivers all 200 events committed while Kafka was down, once each, after it comes back', async () => {
  await broker.stop();
  for (let n = 1; n <= 200; n++) {
    await producer.transaction(async (trx) => {
      await sql`insert into notes (n) values (${n})`.execute(trx);
      await enqueueEvents(producer, trx, [
        {
          definition: noted,
          event: createEvent(noted, { source: 'outage-test', subject: `note-${n % 7}`, data: { n } }),
        },
      ]);
    });
  }
  await waitFor(() => relay.state() === 'degraded', 30_000);
  const { rows: waiting } = await sql<{ count: number }>`
    select count(*)::int as count from kit_outbox where sent_at is null`.execute(producer.db);
  expect(waiting[0]?.count).toBe(200);

  await broker.start();
  const applied = async () =>
    (await sql<{ event_id: string; n: number }>`select event_id, n from applied`.execute(consumerDb.db)).rows;
  await waitFor(async () => (await applied()).length >= 200, 90_000);
  await new Promise((resolve) => setTimeout(resolve, 500)); // a late duplicate would show up here

  const rows = await applied();
  expect(rows).toHaveLength(200);
  expect(new Set(rows.map((row) => row.n))).toEqual(
    new Set(Array.from({ length: 200 }, (_, index) => index + 1)),
  );
  expect(consumer.stats().processed).toBe(200);
  const { rows: unsent } = await sql<{ count: number }>`
    select count(*)::int as count from kit_outbox where sent_at is null`.execute(producer.db);
  expect(unsent[0]?.count).toBe(0);
}, 180_000);
