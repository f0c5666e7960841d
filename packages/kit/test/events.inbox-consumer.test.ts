import { AppError, silentLogger } from '@hsg/kit';
import {
  type ConsumedBatch,
  type ConsumedRecord,
  type ConsumeOptions,
  createEvent,
  createEventConsumer,
  createMarkerInbox,
  type Delivery,
  defineEvent,
  type EventTransport,
  eventKitMigrations,
  handlersFor,
  memoryInboxMarkers,
  on as onSql,
  type TransportRecord,
} from '@hsg/kit/events';
import { runMigrations } from '@hsg/kit/sql';
import { pgliteBackend, setupTimeoutMs, temporaryMigrations } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { z } from 'zod';

const counted = defineEvent({
  type: 'test.counted',
  topic: 'test.counted',
  data: z.object({ n: z.number().int(), fail: z.number().int().default(0) }),
});

/**
 * A transport that hands the test's batches to the consumer and keeps what is sent (dead letters); a send
 * of a record `refuses` names fails, as while Kafka is away.
 */
function scriptedTransport(refuses: (record: TransportRecord) => boolean = () => false) {
  let consumer: ConsumeOptions | undefined;
  const sent: TransportRecord[] = [];
  let offset = 0;
  const transport: EventTransport = {
    kind: 'embedded',
    ensureTopics: async () => {},
    send: async (records) => {
      if (records.some(refuses)) throw new AppError('UNAVAILABLE', 'the broker is away');
      sent.push(...records);
    },
    consume: async (options) => {
      consumer = options;
      return { state: () => 'ready', stop: async () => {} };
    },
    close: async () => {},
  };
  return {
    transport,
    sent,
    /** Delivers one batch and resolves to the records the consumer marked processed. */
    async deliver(values: string[]): Promise<ConsumedRecord[]> {
      const records = values.map((value) => ({
        topic: counted.topic,
        partition: 0,
        offset: offset++,
        key: 'k',
        value,
        headers: {},
      }));
      const marked: ConsumedRecord[] = [];
      const batch: ConsumedBatch = {
        topic: counted.topic,
        partition: 0,
        records,
        markProcessed: (record) => void marked.push(record),
        isStopping: () => false,
        heartbeat: async () => {},
      };
      await consumer?.onBatch(batch);
      return marked;
    },
  };
}

const envelope = (data: { n: number; fail?: number }, id?: string) =>
  JSON.stringify(
    createEvent(counted, { source: 'test', subject: 'k', data: { fail: 0, ...data }, ...(id ? { id } : {}) }),
  );

describe('the idempotent consumer on an inbox without SQL', () => {
  it('hands handlers the inbox’s unit, applies each event once and retries a transient failure', async () => {
    const scripted = scriptedTransport();
    const seen: Array<{ unit: Delivery; n: number }> = [];
    const failures = new Map<string, number>();
    const on = handlersFor<Delivery>();
    const consumer = createEventConsumer({
      transport: scripted.transport,
      inbox: createMarkerInbox(memoryInboxMarkers()),
      groupId: 'analytics',
      logger: silentLogger(),
      retryInitialMs: 1,
      retryMaxMs: 2,
      subscriptions: [
        on(counted, async (event, unit) => {
          const failed = failures.get(event.id) ?? 0;
          if (failed < event.data.fail) {
            failures.set(event.id, failed + 1);
            throw new AppError('UNAVAILABLE', 'transient');
          }
          seen.push({ unit, n: event.data.n });
        }),
      ],
    });
    await consumer.start();
    const first = envelope({ n: 1 }, '0190a7e0-0000-7000-8000-000000000001');
    const marked = await scripted.deliver([first, envelope({ n: 2, fail: 2 }), first]);
    expect(marked).toHaveLength(3);
    expect(seen.map((entry) => entry.n)).toEqual([1, 2]);
    expect(seen[0]?.unit).toEqual({ groupId: 'analytics', eventId: '0190a7e0-0000-7000-8000-000000000001' });
    expect(consumer.stats()).toMatchObject({ processed: 2, duplicates: 1, retries: 2, deadLettered: 0 });
    expect(scripted.sent).toHaveLength(0);
    await consumer.stop();
  });
});

describe('the idempotent consumer on the SQL inbox (PGlite)', () => {
  const backend = pgliteBackend();
  let database: Awaited<ReturnType<typeof backend.open>>;
  beforeAll(async () => {
    database = await backend.open(backend.newNamespace());
    const seenTable = await temporaryMigrations('consumer_seen', {
      '0001_seen.sql': 'create table consumer_seen (n int not null);',
    });
    await runMigrations(database, [eventKitMigrations, seenTable]);
  }, setupTimeoutMs);
  afterAll(() => backend.dispose());

  const seenNumbers = async () =>
    (await sql<{ n: number }>`select n from consumer_seen order by n`.execute(database.db)).rows.map(
      (row) => row.n,
    );

  /** A started consumer on an emptied table, with the transactions its handler ran in. */
  async function startedConsumer(refuses?: (record: TransportRecord) => boolean) {
    await sql`delete from consumer_seen`.execute(database.db);
    const scripted = scriptedTransport(refuses);
    const units = new Set<unknown>();
    const failures = new Map<string, number>();
    const consumer = createEventConsumer({
      transport: scripted.transport,
      database,
      groupId: 'counting',
      logger: silentLogger(),
      retryInitialMs: 1,
      retryMaxMs: 2,
      subscriptions: [
        onSql(counted, async (event, trx) => {
          units.add(trx);
          await sql`insert into consumer_seen (n) values (${event.data.n})`.execute(trx);
          const failed = failures.get(event.id) ?? 0;
          if (failed < event.data.fail) {
            failures.set(event.id, failed + 1);
            throw new AppError('UNAVAILABLE', 'transient');
          }
        }),
      ],
    });
    await consumer.start();
    return { scripted, units, consumer };
  }

  it('applies a batch in one transaction', async () => {
    const { scripted, units, consumer } = await startedConsumer();
    const marked = await scripted.deliver([envelope({ n: 1 }), envelope({ n: 2 }), envelope({ n: 3 })]);
    expect(marked.at(-1)?.offset).toBe(2);
    expect(units.size).toBe(1);
    expect(await seenNumbers()).toEqual([1, 2, 3]);
    expect(consumer.stats()).toMatchObject({ processed: 3, duplicates: 0, retries: 0 });
    await consumer.stop();
  });

  it('rolls the batch back when one event fails, then delivers them one by one: each once, nothing twice', async () => {
    const { scripted, consumer } = await startedConsumer();
    const first = envelope({ n: 1 }, '0190a7e0-0000-7000-8000-00000000000a');
    const marked = await scripted.deliver([
      first,
      envelope({ n: 2, fail: 2 }), // fails the batch, then once more on its own
      envelope({ n: 3 }),
      'not an event',
      first,
    ]);
    expect(marked.at(-1)?.offset).toBe(4);
    // n 2's first attempt wrote its row before it failed: rolled back each time, kept once.
    expect(await seenNumbers()).toEqual([1, 2, 3]);
    expect(scripted.sent).toHaveLength(1); // the malformed record's dead letter, once
    expect(consumer.stats()).toMatchObject({
      processed: 3,
      duplicates: 1,
      retries: 1,
      invalid: 1,
      deadLettered: 0,
    });
    await consumer.stop();
  });

  it('marks, when stopped during a dead letter’s retries, exactly what it did before: nothing is redone', async () => {
    const { scripted, consumer } = await startedConsumer((record) => record.value === 'second bad');
    const delivered = scripted.deliver(['first bad', envelope({ n: 7 }), envelope({ n: 8 }), 'second bad']);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the second dead letter keeps failing
    await consumer.stop();
    const marked = await delivered;
    expect(marked.map((record) => record.offset)).toEqual([0, 1, 2]);
    expect(scripted.sent.map((record) => record.value)).toEqual(['first bad']);
    expect(await seenNumbers()).toEqual([7, 8]);
  });
});
