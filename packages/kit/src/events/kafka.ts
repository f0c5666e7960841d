import {
  type Admin,
  type Consumer,
  Kafka,
  type KafkaConfig,
  type LogEntry,
  logLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';
import type { Logger } from 'pino';
import type {
  ComponentState,
  ConsumedRecord,
  ConsumeOptions,
  ConsumerHandle,
  EventTransport,
  TopicSpec,
} from './transport.ts';

export interface KafkaTransportOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  defaultPartitions?: number;
  /** How long a send may retry before failing back to the caller (the outbox relay retries later). */
  sendTimeoutMs?: number;
  /** Extra kafkajs settings (e.g. retry) for tests and tuning. */
  kafka?: Partial<KafkaConfig>;
}

/** kafkajs logs through pino at WARN and above; its one-off retried errors after a broker start stay quiet. */
function pinoLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      if (level === logLevel.ERROR) logger.warn({ kafka: extra }, message);
      else if (level === logLevel.WARN) logger.warn({ kafka: extra }, message);
    };
}

/** The Kafka transport: idempotent producer with acks from all in-sync replicas; manual offset commits. */
export function createKafkaTransport(options: KafkaTransportOptions): EventTransport {
  const { logger } = options;
  const defaultPartitions = options.defaultPartitions ?? 3;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
    connectionTimeout: 3000,
    requestTimeout: options.sendTimeoutMs ?? 10_000,
    retry: { retries: 4, initialRetryTime: 200, maxRetryTime: 3000 },
    ...options.kafka,
  });
  let producer: Promise<Producer> | undefined;
  const consumers = new Set<ConsumerHandle>();

  function connectedProducer(): Promise<Producer> {
    producer ??= (async () => {
      const created = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await created.connect();
      return created;
    })().catch((error) => {
      producer = undefined; // the next send tries to connect again
      throw error;
    });
    return producer;
  }

  async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  async function ensureTopics(topics: TopicSpec[]): Promise<void> {
    await withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter(({ topic }) => !existing.has(topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map(({ topic, partitions = defaultPartitions }) => ({
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
        })),
      });
    });
  }

  async function send(
    records: { topic: string; key: string; value: string; headers: Record<string, string> }[],
  ) {
    if (records.length === 0) return;
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const { topic, key, value, headers } of records) {
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key, value, headers });
      byTopic.set(topic, messages);
    }
    const connected = await connectedProducer();
    await connected.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  async function consume({
    groupId,
    topics,
    fromBeginning,
    onBatch,
  }: ConsumeOptions): Promise<ConsumerHandle> {
    const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, sessionTimeout: 30_000 });
    let state: ComponentState = 'starting';
    let stopping = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      state = 'ready';
    });
    consumer.on(consumer.events.CRASH, (event) => {
      state = 'degraded';
      logger.warn({ err: event.payload.error, groupId }, 'kafka consumer crashed; kafkajs restarts it');
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({
        batch,
        resolveOffset,
        heartbeat,
        isRunning,
        isStale,
        commitOffsetsIfNecessary,
      }) => {
        const records: ConsumedRecord[] = batch.messages.map((message) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: Number(message.offset),
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? '']),
          ),
        }));
        let processed: ConsumedRecord | undefined;
        try {
          await onBatch({
            topic: batch.topic,
            partition: batch.partition,
            records,
            markProcessed: (record) => {
              processed = record;
              resolveOffset(String(record.offset));
            },
            isStopping: () => stopping || !isRunning() || isStale(),
            heartbeat,
          });
        } finally {
          if (processed) {
            // Not consumer.commitOffsets: kafkajs drops that silently once stop() began, and a graceful
            // stop must still commit the batch it drained.
            const partitions = [{ partition: batch.partition, offset: String(processed.offset + 1) }];
            await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions }] });
          }
        }
      },
    });
    const handle: ConsumerHandle = {
      state: () => state,
      async stop() {
        state = 'stopping';
        stopping = true;
        await consumer.disconnect(); // waits for the batch in hand, then leaves the group
        consumers.delete(handle);
        state = 'stopped';
      },
    };
    consumers.add(handle);
    return handle;
  }

  return {
    kind: 'kafka',
    ensureTopics,
    send,
    consume,
    async close() {
      await Promise.all([...consumers].map((consumer) => consumer.stop()));
      const connected = await producer?.catch(() => undefined);
      await connected?.disconnect();
    },
  };
}
