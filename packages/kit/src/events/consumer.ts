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
  type ConsumeOptions,
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
  /** See ConsumeOptions.batching: for a consumer that may lag a moment, fewer and larger batches. */
  batching?: ConsumeOptions['batching'];
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

/** At most this many events of a batch share one unit of the inbox (one transaction). */
const unitSize = 100;

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

  interface Prepared {
    subscription: Subscription<Unit>;
    event: CloudEvent;
  }
  /** What a record is, read without side effects: an event to handle, one to ignore, or an unusable one. */
  type Reading =
    | { kind: 'event'; prepared: Prepared }
    | { kind: 'ignored' }
    | { kind: 'malformed' | 'invalid'; reason: string };

  function read(record: ConsumedRecord): Reading {
    const decoded = decodeEnvelope(record.value);
    if (decoded.kind === 'malformed') return { kind: 'malformed', reason: decoded.reason };
    const subscription = byType.get(decoded.event.type);
    if (!subscription) return { kind: 'ignored' };
    const data = subscription.definition.data.safeParse(decoded.event.data);
    if (!data.success)
      return { kind: 'invalid', reason: `invalid ${decoded.event.type}: ${summarize(data.error)}` };
    return { kind: 'event', prepared: { subscription, event: { ...decoded.event, data: data.data } } };
  }

  async function applyWithRetries(record: ConsumedRecord, { subscription, event }: Prepared): Promise<void> {
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

  /**
   * Several events in one unit of the inbox (one transaction instead of one each): true when all of them
   * were applied or recognised as duplicates. False when the inbox cannot, or any of them failed, which
   * left none applied: the caller then delivers them one by one, with retries and dead letters.
   */
  async function deliverTogether(prepared: Prepared[]): Promise<boolean> {
    if (!inbox.deliverAll || prepared.length < 2) return false;
    try {
      const outcomes = await inbox.deliverAll(
        prepared.map(({ subscription, event }) => ({
          delivery: { groupId, eventId: event.id },
          effect: (unit: Unit) => subscription.handle(event, unit),
        })),
      );
      for (const outcome of outcomes) {
        if (outcome === 'applied') stats.processed += 1;
        else stats.duplicates += 1;
      }
      return true;
    } catch (error) {
      // Its message may quote what the event held: the one-by-one delivery logs what it must.
      logger.debug(
        {
          events: prepared.length,
          errorType: error instanceof Error ? error.constructor.name : typeof error,
        },
        'events failed together; delivering them one by one',
      );
      return false;
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

  /**
   * A batch, in chunks of up to `unitSize` records: each chunk's events in one unit of the inbox when it
   * can (a busy topic then costs a transaction per chunk, not per event), else one by one. Then, in
   * order, what is left of each record (its event one by one, its dead letter, or nothing) and its offset,
   * so a stop leaves nothing marked that was not done, and nothing done twice.
   */
  async function onBatch(batch: ConsumedBatch): Promise<void> {
    try {
      for (let start = 0; start < batch.records.length; start += unitSize) {
        const readings = batch.records
          .slice(start, start + unitSize)
          .map((record) => ({ record, reading: read(record) }));
        const events = readings.flatMap(({ reading }) =>
          reading.kind === 'event' ? [reading.prepared] : [],
        );
        const appliedTogether = !batch.isStopping() && (await deliverTogether(events));
        for (const { record, reading } of readings) {
          if (reading.kind !== 'event' || !appliedTogether) {
            if (batch.isStopping()) return;
            if (reading.kind === 'event') await applyWithRetries(record, reading.prepared);
            else if (reading.kind === 'ignored') stats.ignored += 1;
            else await reject(record, reading.kind, reading.reason);
          }
          batch.markProcessed(record);
          await batch.heartbeat();
        }
      }
    } catch (error) {
      if (error instanceof StopRequested) return;
      throw error;
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
        ...(options.batching ? { batching: options.batching } : {}),
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
