import { createRequire } from 'node:module';
import { infraEnv } from '@hsg/infra';
import { uniqueName } from '@hsg/testing';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { patchKafkajsRequestQueue } from '../src/events/kafkajs-request-queue.ts';

interface RequestQueueClass {
  prototype: { checkPendingRequests(): void };
}
const RequestQueue = createRequire(import.meta.url)(
  'kafkajs/src/network/requestQueue/index.js',
) as RequestQueueClass;

/** kafkajs' idle connections, patched by the kit: no check of an empty queue every millisecond. */
describe('the kafkajs request queue, as the kit runs it', () => {
  const brokers = infraEnv().KAFKA_BROKERS.split(',');
  const admin = new Kafka({ clientId: uniqueName('queue'), brokers, logLevel: logLevel.NOTHING }).admin();
  const original = RequestQueue.prototype.checkPendingRequests;
  afterAll(async () => {
    RequestQueue.prototype.checkPendingRequests = original;
    await admin.disconnect();
  });

  it('checks an idle connection’s queue a handful of times, not about 700 times a second', async () => {
    expect(patchKafkajsRequestQueue()).toBe(true);
    let checks = 0;
    RequestQueue.prototype.checkPendingRequests = function counted(this: unknown) {
      checks++;
      original.call(this);
    };
    await admin.connect();
    const topic = uniqueName('queue_topic');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const before = checks;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Unpatched, each connection's timer re-arms at 1 ms: hundreds of checks in this second.
    expect(checks - before).toBeLessThan(20);
    // Requests still go out and come back on the patched queue.
    expect(await admin.listTopics()).toContain(topic);
    await admin.deleteTopics({ topics: [topic] });
  });
});
