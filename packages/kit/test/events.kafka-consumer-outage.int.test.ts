import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type KafkaBroker, startKafkaBroker } from '@hsg/infra';
import { createLogger } from '@hsg/kit';
import { type ConsumerHandle, createKafkaTransport, type EventTransport } from '@hsg/kit/events';
import { setupTimeoutMs, uniqueName, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';

// Kafka itself goes down here, so this file runs its own broker rather than the shared one. No timing is
// asserted (CI is a busy two-core box): the recovery time is printed, and the test timeout bounds it.

/** Long enough for a consumer on bounded retries to crash and restart several times (it did every 2–3 s). */
const outageMs = 12_000;

/** The transport's log lines, parsed, as a log shipper would read them. */
const lines: { level: string; msg: string; groupId?: string }[] = [];
const logger = createLogger({
  service: 'consumer-outage-test',
  destination: new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  }),
});

let dir: string;
let broker: KafkaBroker;
let transport: EventTransport;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kafka-consumer-outage-'));
  broker = await startKafkaBroker({ dir });
  transport = createKafkaTransport({ brokers: [broker.brokers], clientId: uniqueName('outage'), logger });
}, setupTimeoutMs);

afterAll(async () => {
  await transport?.close();
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
}, setupTimeoutMs);

/** A consumer of a topic of its own, in a group of its own, recording what it received and when. */
async function startConsumer() {
  const topic = uniqueName('consumer_outage');
  const groupId = uniqueName('consumer_outage');
  await transport.ensureTopics([{ topic, partitions: 1 }]);
  const received: { value: string; at: number }[] = [];
  const handle: ConsumerHandle = await transport.consume({
    groupId,
    topics: [topic],
    fromBeginning: true,
    async onBatch(batch) {
      for (const record of batch.records) {
        received.push({ value: record.value, at: Date.now() });
        batch.markProcessed(record);
      }
    },
  });
  return {
    groupId,
    handle,
    publish: (value: string) => transport.send([{ topic, key: 'k', value, headers: {} }]),
    consumed: (value: string) => received.filter((record) => record.value === value),
    /** This consumer's own log lines: crashes, loss and recovery. */
    logged: (pattern: RegExp) => lines.filter((line) => line.groupId === groupId && pattern.test(line.msg)),
  };
}

/** The group as the broker reports it (kafkajs admin: the transport does not expose it). */
async function describeGroup(groupId: string): Promise<{ state: string; memberIds: string[] }> {
  const admin = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    return { state: group?.state ?? 'unknown', memberIds: group?.members.map((m) => m.memberId) ?? [] };
  } finally {
    await admin.disconnect();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('resumes consuming within seconds of Kafka coming back, as the same group member, without crashing', async () => {
  const consumer = await startConsumer();
  await consumer.publish('before');
  await waitFor(() => consumer.consumed('before').length === 1, 30_000);
  const before = await describeGroup(consumer.groupId);
  expect(before.memberIds).toHaveLength(1);

  await broker.stop();
  await waitFor(() => consumer.handle.state() === 'degraded', 30_000);
  await sleep(outageMs);
  await broker.start();
  const back = Date.now();
  await consumer.publish('after');
  await waitFor(() => consumer.consumed('after').length > 0, 90_000);
  const recoveryMs = (consumer.consumed('after')[0]?.at ?? Number.NaN) - back;
  process.stdout.write(`kafka consumer consumed a new event ${recoveryMs} ms after the broker came back\n`);
  await waitFor(() => consumer.handle.state() === 'ready', 30_000);
  await sleep(1000); // a redelivery would show up here

  expect(consumer.consumed('before')).toHaveLength(1);
  expect(consumer.consumed('after')).toHaveLength(1);
  expect(await describeGroup(consumer.groupId)).toEqual({ state: 'Stable', memberIds: before.memberIds });
  expect(lines.filter((line) => /crash/i.test(line.msg))).toEqual([]);
  expect(consumer.logged(/lost the broker/).map((line) => line.level)).toEqual(['warn']);
  expect(consumer.logged(/recovered/).map((line) => line.level)).toEqual(['info']);
  await consumer.handle.stop();
}, 180_000);

it('stops a consumer while Kafka is down, and it stays stopped when Kafka comes back', async () => {
  const consumer = await startConsumer();
  await consumer.publish('before');
  await waitFor(() => consumer.consumed('before').length === 1, 30_000);

  await broker.stop();
  await waitFor(() => consumer.handle.state() === 'degraded', 30_000);
  const stopping = Date.now();
  await consumer.handle.stop();
  process.stdout.write(`kafka consumer stopped in ${Date.now() - stopping} ms while the broker was down\n`);
  expect(consumer.handle.state()).toBe('stopped');

  await broker.start();
  await consumer.publish('after');
  // It could not leave the group while the broker was down: the broker drops it after its session, and
  // a consumer that came back would show up as a member again instead.
  await waitFor(async () => (await describeGroup(consumer.groupId)).state === 'Empty', 60_000);
  await sleep(1000);
  expect(consumer.consumed('after')).toEqual([]);
  expect(await describeGroup(consumer.groupId)).toEqual({ state: 'Empty', memberIds: [] });
  expect(consumer.logged(/crash/i)).toEqual([]);
}, 180_000);
