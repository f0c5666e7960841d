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
import './kafkajs-request-queue.ts';
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
  /**
   * Put before every topic name on the broker (`run1.patient.events`), so systems sharing one Kafka (test
   * runs, benchmarks) keep their events apart: a new consumer group then replays only its own system's
   * topics. Callers keep using the contract's names; records come back under them.
   */
  topicPrefix?: string;
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

/**
 * Group membership: the broker drops a member it has not heard from for a session, and a group that
 * rebalances waits for every member it knows. Short, because a member that vanished without leaving (a
 * crash while the broker was down) holds up its group's next rebalance for that long. A consumer
 * heartbeats every third of it, and after every record of a batch (the event consumer does): only a single
 * record handled for longer than a session loses the membership, and its batch is then redelivered.
 */
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
/** A consumer's back-off while Kafka is away: how soon after the broker's return it is seen again. */
const CONSUMER_MAX_RETRY_MS = 2_000;
/** Without a fetch, heartbeat or commit for this long (and no batch in hand), the consumer has lost Kafka. */
const LOST_AFTER_MS = 2 * HEARTBEAT_INTERVAL_MS;
const WATCHDOG_INTERVAL_MS = 1_000;

/**
 * A retry count for kafkajs that is read again at every attempt. kafkajs copies `retries` into each retry
 * loop and compares it (`retryCount < retries`) once per attempt, so an object's valueOf is consulted each
 * time: a consumer can retry without limit while it runs and still end those loops at once when stopped.
 */
function retryLimit(limit: () => number): number {
  return { valueOf: limit } as unknown as number;
}

/** The Kafka transport: idempotent producer with acks from all in-sync replicas; manual offset commits. */
export function createKafkaTransport(options: KafkaTransportOptions): EventTransport {
  const { logger } = options;
  const defaultPartitions = options.defaultPartitions ?? 3;
  const prefix = options.topicPrefix ?? '';
  const onBroker = (topic: string) => `${prefix}${topic}`;
  const fromBroker = (topic: string) => (topic.startsWith(prefix) ? topic.slice(prefix.length) : topic);
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
    connectionTimeout: 3000,
    requestTimeout: options.sendTimeoutMs ?? 10_000,
    retry: { retries: 4, initialRetryTime: 200, maxRetryTime: 3000 },
    ...options.kafka,
  };
  // Producer and admin give up after a few retries: their callers (the outbox relay) retry later.
  const kafka = new Kafka(config);
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
      const missing = topics.filter(({ topic }) => !existing.has(onBroker(topic)));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map(({ topic, partitions = defaultPartitions }) => ({
          topic: onBroker(topic),
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
      const messages = byTopic.get(onBroker(topic)) ?? [];
      messages.push({ key, value, headers });
      byTopic.set(onBroker(topic), messages);
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
    batching,
  }: ConsumeOptions): Promise<ConsumerHandle> {
    let state: ComponentState = 'starting';
    let running = false;
    let stopping = false;
    // A running consumer rides out a Kafka outage as the same group member. kafkajs gives up on a request
    // after `retries` attempts, and a consumer whose request gave up crashes; kafkajs restarts it as a new
    // member, which the broker keeps waiting until the old member's session ran out. So this consumer's own
    // client retries every request (connections, metadata, fetches, joins) until the broker is back, or
    // until stop(). Until it runs, it gives up as soon as the rest of the transport: a consume() during an
    // outage fails rather than hangs. A crash for another reason restarts it, unless it is stopping.
    const startRetries = config.retry?.retries ?? 4;
    const retry = {
      ...config.retry,
      maxRetryTime: CONSUMER_MAX_RETRY_MS,
      retries: retryLimit(() => (stopping ? 0 : running ? Number.MAX_SAFE_INTEGER : startRetries)),
    };
    const consumer: Consumer = new Kafka({ ...config, retry }).consumer({
      groupId,
      maxWaitTimeInMs: batching?.maxWaitMs ?? 250,
      ...(batching ? { minBytes: batching.minBytes } : {}),
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      retry: { ...retry, restartOnFailure: async () => !stopping },
    });
    let inBatch = false;
    let lastContact = Date.now();
    let lostAt: number | undefined;

    /** Any successful round trip with the group's broker: the consumer is (again) in business. */
    const contact = () => {
      lastContact = Date.now();
      if (lostAt === undefined || stopping) return;
      logger.info({ groupId, downMs: lastContact - lostAt }, 'kafka consumer recovered');
      lostAt = undefined;
      if (state === 'degraded') state = 'ready';
    };
    // kafkajs reports no lost connection while it retries, so silence is the signal: no fetch, heartbeat
    // or commit for a while, and no batch in hand that would explain it.
    const watchdog = setInterval(() => {
      if (stopping || state !== 'ready' || inBatch || lostAt !== undefined) return;
      const silentMs = Date.now() - lastContact;
      if (silentMs < LOST_AFTER_MS) return;
      lostAt = lastContact;
      state = 'degraded';
      logger.warn({ groupId, silentMs }, 'kafka consumer lost the broker; retrying as the same member');
    }, WATCHDOG_INTERVAL_MS);
    watchdog.unref();

    consumer.on(consumer.events.GROUP_JOIN, () => {
      contact();
      if (!stopping) state = 'ready';
    });
    consumer.on(consumer.events.FETCH, contact);
    consumer.on(consumer.events.HEARTBEAT, contact);
    consumer.on(consumer.events.COMMIT_OFFSETS, contact);
    consumer.on(consumer.events.CRASH, (event) => {
      if (stopping) return;
      state = 'degraded';
      lostAt ??= Date.now();
      const { error, restart } = event.payload;
      if (restart) logger.warn({ err: error, groupId }, 'kafka consumer crashed; kafkajs restarts it');
      else logger.error({ err: error, groupId }, 'kafka consumer crashed and will not restart');
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: topics.map(onBroker), fromBeginning });
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
          const topic = fromBroker(batch.topic);
          const records: ConsumedRecord[] = batch.messages.map((message) => ({
            topic,
            partition: batch.partition,
            offset: Number(message.offset),
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? '']),
            ),
          }));
          let processed: ConsumedRecord | undefined;
          inBatch = true;
          try {
            await onBatch({
              topic,
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
            inBatch = false;
            lastContact = Date.now(); // the silence of a long batch is not the broker's
            if (processed) {
              // Not consumer.commitOffsets: kafkajs drops that silently once stop() began, and a graceful
              // stop must still commit the batch it drained.
              const partitions = [{ partition: batch.partition, offset: String(processed.offset + 1) }];
              await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions }] });
            }
          }
        },
      });
      running = true;
    } catch (error) {
      clearInterval(watchdog);
      stopping = true;
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    const handle: ConsumerHandle = {
      state: () => state,
      async stop() {
        state = 'stopping';
        stopping = true;
        clearInterval(watchdog);
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

/** Deletes every topic whose name starts with `prefix` (a finished run's, see topicPrefix). */
export async function deleteKafkaTopics(brokers: string[], prefix: string): Promise<void> {
  if (!prefix) throw new Error('refusing to delete topics without a prefix');
  const admin = new Kafka({ clientId: 'topic-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
