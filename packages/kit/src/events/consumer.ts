import type { Logger } from 'pino';
import { isRetriable } from '../errors.ts';
import { backoffDelay, pause } from '../retry.ts';
import type { SqlDatabase } from '../sql/types.ts';
import { type CloudEvent, decodeEnvelope, type EventDefinition, summarize } from './envelope.ts';
import { type Inbox, type SqlUnit, sqlInbox } from './inbox.ts';
import {
  type ComponentState,
  type ConsumedBatch,
  type ConsumedRecord,
  type ConsumerHandle,
  deadLetterTopic,
  type EventTransport,
} from './transport.ts';

/**
 * Applies one event's effect through the inbox's unit of work: for the SQL inbox the transaction that
 * also records the event as processed (the default), for another inbox whatever it hands out.
 */
export type EventHandler<Data, Unit = SqlUnit> = (event: CloudEvent<Data>, unit: Unit) => Promise<void>;

export interface Subscription<Unit = SqlUnit> {
  definition: EventDefinition;
  handle: EventHandler<unknown, Unit>;
}

/** Pairs an event definition with its handler, keeping the handler's data type exact (SQL handlers). */
export function on<Data>(
  definition: EventDefinition<string, Data>,
  handle: EventHandler<Data>,
): Subscription {
  return { definition, handle: handle as EventHandler<unknown> };
}

/** `on` for handlers of another inbox's unit: `const on = handlersFor<Delivery>()`. */
export function handlersFor<Unit>() {
  return <Data>(
    definition: EventDefinition<string, Data>,
    handle: EventHandler<Data, Unit>,
  ): Subscription<Unit> => ({
    definition,
    handle: handle as EventHandler<unknown, Unit>,
  });
}

interface CommonConsumerOptions {
  transport: EventTransport;
  groupId: string;
  logger: Logger;
  fromBeginning?: boolean;
  /** Attempts for a retriable failure before the record is dead-lettered. */
  maxAttempts?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
}

/** `inbox` records what was handled; `database` is shorthand for `inbox: sqlInbox(database)`. */
export type EventConsumerOptions<Unit = SqlUnit> = CommonConsumerOptions &
  (
    | { inbox: Inbox<Unit>; database?: never; subscriptions: Subscription<Unit>[] }
    | { database: SqlDatabase; inbox?: never; subscriptions: Subscription<SqlUnit>[] }
  );

export interface ConsumerStats {
  processed: number;
  duplicates: number;
  ignored: number;
  invalid: number;
  deadLettered: number;
  retries: number;
}

export interface EventConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  state(): ComponentState;
  stats(): ConsumerStats;
}

class StopRequested extends Error {}

/**
 * An idempotent consumer: each event's effect and its record commit as one unit in the inbox, so a
 * redelivered event is recognised and skipped; offsets are committed only after. Malformed or invalid
 * records are counted, logged by offset (never by content) and dead-lettered; a handler that keeps failing
 * dead-letters its record and the consumer moves on.
 */
export function createEventConsumer<Unit = SqlUnit>(options: EventConsumerOptions<Unit>): EventConsumer {
  const { transport, groupId, logger } = options;
  const inbox = (options.inbox ?? sqlInbox(options.database as SqlDatabase)) as Inbox<Unit>;
  const subscriptions = options.subscriptions as Subscription<Unit>[];
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = { initialMs: options.retryInitialMs ?? 200, maxMs: options.retryMaxMs ?? 10_000 };
  const byType = new Map(subscriptions.map((s) => [s.definition.type, s]));
  const topics = [...new Set(subscriptions.map((s) => s.definition.topic))];
  const stats: ConsumerStats = {
    processed: 0,
    duplicates: 0,
    ignored: 0,
    invalid: 0,
    deadLettered: 0,
    retries: 0,
  };
  const stopping = new AbortController();
  let handle: ConsumerHandle | undefined;

  async function apply(subscription: Subscription<Unit>, event: CloudEvent): Promise<boolean> {
    const outcome = await inbox.deliver({ groupId, eventId: event.id }, (unit) =>
      subscription.handle(event, unit),
    );
    return outcome === 'applied';
  }

  async function processRecord(record: ConsumedRecord): Promise<void> {
    const decoded = decodeEnvelope(record.value);
    if (decoded.kind === 'malformed') return reject(record, 'malformed', decoded.reason);
    const subscription = byType.get(decoded.event.type);
    if (!subscription) {
      stats.ignored += 1;
      return;
    }
    const data = subscription.definition.data.safeParse(decoded.event.data);
    if (!data.success)
      return reject(record, 'invalid', `invalid ${decoded.event.type}: ${summarize(data.error)}`);
    const event = { ...decoded.event, data: data.data };

    for (let attempt = 1; ; attempt++) {
      try {
        if (await apply(subscription, event)) stats.processed += 1;
        else stats.duplicates += 1;
        return;
      } catch (error) {
        const retriable = isRetriable(error);
        if (retriable && stopping.signal.aborted) throw new StopRequested();
        if (!retriable || attempt >= maxAttempts) {
          stats.deadLettered += 1;
          logger.error(
            {
              err: error,
              topic: record.topic,
              partition: record.partition,
              offset: record.offset,
              eventId: event.id,
              type: event.type,
              attempts: attempt,
            },
            'event handler failed; dead-lettering',
          );
          return deadLetter(record, error instanceof Error ? error.message : String(error), attempt);
        }
        stats.retries += 1;
        await pause(backoffDelay(attempt, backoff), stopping.signal);
      }
    }
  }

  async function reject(
    record: ConsumedRecord,
    kind: 'malformed' | 'invalid',
    reason: string,
  ): Promise<void> {
    stats.invalid += 1;
    logger.warn(
      { topic: record.topic, partition: record.partition, offset: record.offset, kind, reason },
      'unusable event record',
    );
    await deadLetter(record, reason, 0);
  }

  /** The dead letter keeps the original bytes and says why, where from, and after how many attempts. */
  async function deadLetter(record: ConsumedRecord, reason: string, attempts: number): Promise<void> {
    const headers = {
      ...record.headers,
      'dlq-reason': reason.slice(0, 1000),
      'dlq-source-topic': record.topic,
      'dlq-source-partition': String(record.partition),
      'dlq-source-offset': String(record.offset),
      'dlq-group': groupId,
      'dlq-attempts': String(attempts),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await transport.send([
          { topic: deadLetterTopic(record.topic), key: record.key, value: record.value, headers },
        ]);
        return;
      } catch (error) {
        if (stopping.signal.aborted) throw new StopRequested();
        logger.warn({ err: error, attempt }, 'dead-letter publish failed; retrying');
        await pause(backoffDelay(attempt, backoff), stopping.signal);
      }
    }
  }

  async function onBatch(batch: ConsumedBatch): Promise<void> {
    for (const record of batch.records) {
      if (batch.isStopping()) return;
      try {
        await processRecord(record);
      } catch (error) {
        if (error instanceof StopRequested) return;
        throw error;
      }
      batch.markProcessed(record);
      await batch.heartbeat();
    }
  }

  return {
    async start() {
      await transport.ensureTopics([...topics, ...topics.map(deadLetterTopic)].map((topic) => ({ topic })));
      handle = await transport.consume({
        groupId,
        topics,
        fromBeginning: options.fromBeginning ?? true,
        onBatch,
      });
    },
    async stop() {
      stopping.abort();
      await handle?.stop();
    },
    state: () => handle?.state() ?? 'stopped',
    stats: () => ({ ...stats }),
  };
}
