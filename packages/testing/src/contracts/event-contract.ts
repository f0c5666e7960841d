import { AppError, silentLogger } from '@hsg/kit';
import {
  createEvent,
  createEventConsumer,
  createOutboxRelay,
  defineEvent,
  type EventConsumer,
  type EventTransport,
  enqueueEvents,
  eventKitMigrations,
  type OutboxRelay,
  on,
  sqlInbox,
} from '@hsg/kit/events';
import { runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { z } from 'zod';
import type { EventBackend } from '../event-backends.ts';
import { temporaryMigrations } from '../migrations.ts';
import { uniqueName } from '../names.ts';
import { setupTimeoutMs } from '../timeouts.ts';
import { waitFor } from '../wait.ts';

const KEYS = 20;
const PER_KEY = 50;
const TOTAL = KEYS * PER_KEY;

/**
 * What every event transport must do for the kit's outbox and idempotent consumer, run against each
 * implementation: exactly-once effects in per-key order, dead letters, replay, and resuming after a stop.
 */
export function describeEventTransportContract(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  const topic = uniqueName('contract_counted');
  const counted = defineEvent({
    type: 'contract.counted',
    topic,
    data: z.object({
      key: z.string(),
      n: z.number().int(),
      fail: z.enum(['never', 'always', 'twice']).default('never'),
    }),
  });
  const logger = silentLogger();
  const openTransports: EventTransport[] = [];
  const running: Array<EventConsumer | OutboxRelay> = [];
  let producerNamespace: string;
  let producer: SqlDatabase;
  let relay: OutboxRelay;
  const failedOnce = new Map<string, number>();

  async function transport(): Promise<EventTransport> {
    const created = await backend.transport();
    openTransports.push(created);
    return created;
  }

  /** A consumer service: its own namespace with the kit's inbox and an `applied` projection. */
  async function consumerService(namespace = backend.sql.newNamespace()) {
    const database = await backend.sql.open(namespace);
    const projection = await temporaryMigrations('projection', {
      '0001_applied.sql':
        backend.sql.dialect === 'mysql'
          ? 'create table applied (ord bigint not null auto_increment primary key, event_id varchar(64) not null, aggregate varchar(64) not null, n int not null);'
          : 'create table applied (ord bigserial primary key, event_id text not null, aggregate text not null, n int not null);',
    });
    await runMigrations(database, [eventKitMigrations, projection]);
    return { namespace, database };
  }

  /** stopAfter: the consumer asks itself to stop right after applying that many events (a stop mid-stream). */
  function startConsumer(
    database: SqlDatabase,
    groupId: string,
    eventTransport: EventTransport,
    stopAfter = 0,
  ): EventConsumer {
    let applied = 0;
    const consumer: EventConsumer = createEventConsumer({
      transport: eventTransport,
      inbox: sqlInbox(database), // the outage test and the services use the `database` shorthand
      groupId,
      logger,
      maxAttempts: 3,
      retryInitialMs: 10,
      retryMaxMs: 50,
      subscriptions: [
        on(counted, async (event, trx) => {
          if (event.data.fail === 'always') throw new Error('this record always fails');
          if (event.data.fail === 'twice') {
            const failures = failedOnce.get(event.id) ?? 0;
            if (failures < 2) {
              failedOnce.set(event.id, failures + 1);
              throw new AppError('UNAVAILABLE', 'transient');
            }
          }
          await sql`insert into applied (event_id, aggregate, n) values (${event.id}, ${event.data.key}, ${event.data.n})`.execute(
            trx,
          );
          applied += 1;
          if (applied === stopAfter) void consumer.stop(); // not awaited: stop waits for this batch to end
        }),
      ],
    });
    running.push(consumer);
    return consumer;
  }

  async function appliedRows(database: SqlDatabase) {
    const { rows } = await sql<{ event_id: string; key: string; n: number }>`
      select event_id, aggregate as ${sql.ref('key')}, n from applied order by ord`.execute(database.db);
    return rows;
  }

  async function produce(
    events: Array<{ key: string; n: number; fail?: 'never' | 'always' | 'twice' }>,
    perTransaction = 10,
  ) {
    for (let index = 0; index < events.length; index += perTransaction) {
      await producer.transaction((trx) =>
        enqueueEvents(
          producer,
          trx,
          events.slice(index, index + perTransaction).map((data) => ({
            definition: counted,
            event: createEvent(counted, {
              source: 'contract-test',
              subject: data.key,
              data: { fail: 'never', ...data },
            }),
          })),
        ),
      );
    }
  }

  beforeAll(async () => {
    producerNamespace = backend.sql.newNamespace();
    producer = await backend.sql.open(producerNamespace);
    await runMigrations(producer, [eventKitMigrations]);
    const producerTransport = await transport();
    await producerTransport.ensureTopics([{ topic }]);
    relay = createOutboxRelay({
      database: producer,
      transport: producerTransport,
      logger,
      pollIntervalMs: 200,
    });
    running.push(relay);
    await relay.start();
    // Interleaved keys, so per-key order is tested across batches and partitions.
    const events = [];
    for (let n = 1; n <= PER_KEY; n++) for (let k = 0; k < KEYS; k++) events.push({ key: `key-${k}`, n });
    await produce(events);
  }, setupTimeoutMs);

  afterAll(async () => {
    for (const component of running.reverse()) await component.stop();
    for (const open of openTransports) await open.close();
    await backend.dispose();
  }, 60_000);

  describe(`event transport contract: ${backend.name}`, () => {
    let first: { namespace: string; database: SqlDatabase };

    it(`applies ${TOTAL} outbox events exactly once and in order per key, even when records are redelivered`, async () => {
      first = await consumerService();
      const consumerTransport = await transport();
      const consumer = startConsumer(first.database, uniqueName('group'), consumerTransport);
      await consumer.start();
      await waitFor(async () => (await appliedRows(first.database)).length >= TOTAL / 2, 60_000);
      // Redeliver the first 100 published records, as a retried send or a lost commit would.
      const resend = await producer.db
        .selectFrom('kit_outbox')
        .select(['topic', 'key', 'payload', 'headers'])
        .orderBy('seq')
        .limit(100)
        .execute();
      await consumerTransport.send(
        resend.map((row) => ({
          topic: row.topic,
          key: row.key,
          value: row.payload,
          headers: parseHeaders(row.headers),
        })),
      );
      await waitFor(
        async () => consumer.stats().processed + consumer.stats().duplicates >= TOTAL + 100,
        60_000,
      );

      const rows = await appliedRows(first.database);
      expect(rows).toHaveLength(TOTAL);
      expect(new Set(rows.map((row) => row.event_id)).size).toBe(TOTAL);
      for (let k = 0; k < KEYS; k++) {
        const sequence = rows.filter((row) => row.key === `key-${k}`).map((row) => row.n);
        expect(sequence).toEqual(Array.from({ length: PER_KEY }, (_, index) => index + 1));
      }
      expect(consumer.stats()).toMatchObject({
        processed: TOTAL,
        duplicates: 100,
        invalid: 0,
        deadLettered: 0,
      });
      expect(relay.stats().published).toBe(TOTAL);
      await consumer.stop(); // later tests add events this group must not see
    }, 120_000);

    it('dead-letters a poison message and an unparseable record, retries a transient failure, and keeps going', async () => {
      const service = await consumerService();
      const eventTransport = await transport();
      const consumer = startConsumer(service.database, uniqueName('group'), eventTransport);
      const dlqSeen: Array<{ headers: Record<string, string>; value: string }> = [];
      const dlqWatcher = await eventTransport.consume({
        groupId: uniqueName('dlq'),
        topics: [`${topic}.dlq`],
        fromBeginning: true,
        onBatch: async (batch) => {
          for (const record of batch.records) {
            dlqSeen.push({ headers: record.headers, value: record.value });
            batch.markProcessed(record);
          }
        },
      });
      await consumer.start();
      await eventTransport.send([{ topic, key: 'key-poison', value: '{not json', headers: {} }]);
      await produce([
        { key: 'key-poison', n: 1, fail: 'always' },
        { key: 'key-poison', n: 2, fail: 'twice' },
        { key: 'key-poison', n: 3 },
      ]);
      await waitFor(
        async () =>
          (await appliedRows(service.database)).some((row) => row.key === 'key-poison' && row.n === 3),
        60_000,
      );
      await waitFor(() => dlqSeen.length >= 2, 30_000);
      await dlqWatcher.stop();

      const poison = (await appliedRows(service.database))
        .filter((row) => row.key === 'key-poison')
        .map((row) => row.n);
      expect(poison).toEqual([2, 3]);
      expect(dlqSeen.map((record) => record.headers['dlq-reason']).sort()).toEqual([
        'this record always fails',
        'value is not JSON',
      ]);
      expect(dlqSeen.every((record) => record.headers['dlq-source-topic'] === topic)).toBe(true);
      expect(consumer.stats()).toMatchObject({ invalid: 1, deadLettered: 1, retries: 2 });
      await consumer.stop();
    }, 120_000);

    it('replays the topic from the beginning into a fresh projection with the same state', async () => {
      const replica = await consumerService();
      const consumer = startConsumer(replica.database, uniqueName('replay'), await transport());
      await consumer.start();
      const expected = await appliedRows(first.database);
      const expectedCount = expected.length + 2; // plus the poison test's applied events
      await waitFor(async () => (await appliedRows(replica.database)).length >= expectedCount, 60_000);
      const perKey = (rows: Array<{ key: string; n: number }>) =>
        Object.fromEntries(
          [...new Set(rows.map((row) => row.key))]
            .sort()
            .map((key) => [key, rows.filter((row) => row.key === key).map((row) => row.n)]),
        );
      const replayed = await appliedRows(replica.database);
      const { 'key-poison': poison, ...rest } = perKey(replayed);
      expect(rest).toEqual(perKey(expected));
      expect(poison).toEqual([2, 3]);
      await consumer.stop();
    }, 120_000);

    it('resumes a group restarted mid-stream from its committed offset, without loss or double effect', async () => {
      const service = await consumerService();
      const groupId = uniqueName('restart');
      const firstRun = startConsumer(service.database, groupId, await transport(), 100);
      await firstRun.start();
      await waitFor(() => firstRun.state() === 'stopped', 60_000);
      const appliedBefore = (await appliedRows(service.database)).length;
      expect(appliedBefore).toBe(100);

      await relay.stop(); // the whole "process" stops: the producer's relay too
      await backend.restart(); // every client closes; the embedded log's store is reopened from disk
      const reopened = await backend.sql.open(service.namespace);
      const secondRun = startConsumer(reopened, groupId, await transport());
      await secondRun.start();
      await waitFor(async () => (await appliedRows(reopened)).length >= TOTAL + 2, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const rows = await appliedRows(reopened);
      expect(rows).toHaveLength(TOTAL + 2);
      expect(new Set(rows.map((row) => row.event_id)).size).toBe(TOTAL + 2);
      expect(secondRun.stats().processed).toBe(TOTAL + 2 - appliedBefore);
      // Only the deliberate redeliveries are seen twice; nothing committed is delivered again.
      expect(firstRun.stats().duplicates + secondRun.stats().duplicates).toBe(100);
    }, 120_000);
  });
}

/** jsonb arrives parsed; a driver that returns JSON text is handled too. */
function parseHeaders(headers: unknown): Record<string, string> {
  return (typeof headers === 'string' ? JSON.parse(headers) : headers) as Record<string, string>;
}
