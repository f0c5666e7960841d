import { infraEnv } from '@hsg/infra';
import { collectEvents, uniqueName } from '@hsg/testing';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaTransport, deleteKafkaTopics, type EventTransport } from '../src/events/index.ts';
import { silentLogger } from '../src/index.ts';

/** Two systems on one broker, each with its prefix: the same contract topic, two topics on the broker. */
describe('Kafka topic prefixes', () => {
  const brokers = infraEnv().KAFKA_BROKERS.split(',');
  const prefixes = [`${uniqueName('sys_a')}.`, `${uniqueName('sys_b')}.`];
  const transports: EventTransport[] = prefixes.map((topicPrefix) =>
    createKafkaTransport({ brokers, clientId: uniqueName('prefix'), topicPrefix, logger: silentLogger() }),
  );
  const topic = 'clinic.events';
  const record = (subject: string) => ({
    topic,
    key: subject,
    value: JSON.stringify({ id: uniqueName('e'), subject }),
    headers: {},
  });
  afterAll(async () => {
    for (const transport of transports) await transport.close();
    for (const prefix of prefixes) await deleteKafkaTopics(brokers, prefix);
  });

  it("keeps each system's records to itself under the contract's topic name", async () => {
    const [a, b] = transports as [EventTransport, EventTransport];
    await a.ensureTopics([{ topic }]);
    await b.ensureTopics([{ topic }]);
    await a.send([record('from-a')]);
    await b.send([record('from-b')]);
    const seenByA = await collectEvents(a, topic, 'from-a', 1, 20_000);
    expect(seenByA.map(({ event }) => event.subject)).toEqual(['from-a']);
    // b's consumer, from the beginning of its topic, finds b's record and never a's.
    expect(await collectEvents(b, topic, 'from-a', 1, 3_000)).toEqual([]);
    expect((await collectEvents(b, topic, 'from-b', 1, 20_000)).length).toBe(1);

    const admin = new Kafka({ clientId: uniqueName('list'), brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const onBroker = (await admin.listTopics()).filter((name) => prefixes.some((p) => name.startsWith(p)));
    await admin.disconnect();
    expect(onBroker.sort()).toEqual(prefixes.map((prefix) => `${prefix}${topic}`).sort());
  }, 60_000);

  it('refuses to delete topics without a prefix (it would match every system)', async () => {
    await expect(deleteKafkaTopics(brokers, '')).rejects.toThrow(/prefix/);
  });
});
