import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { SqlDatabase } from '../sql/types.ts';
import { createLeasedLoop } from './leased-loop.ts';
import type {
  ConsumedRecord,
  ConsumeOptions,
  ConsumerHandle,
  EventTransport,
  TopicSpec,
  TransportRecord,
} from './transport.ts';

interface LogTables {
  log_partitions: { topic: string; partition: number; next_offset: number };
  log_records: {
    topic: string;
    partition: number;
    offset: number;
    key: string;
    value: string;
    headers: string | Record<string, string>;
  };
  log_group_offsets: {
    group_id: string;
    topic: string;
    partition: number;
    next_offset: number;
    updated_at: Date;
  };
}

export interface EmbeddedLogOptions {
  /** A Postgres-dialect database (PGlite in embedded mode) whose namespace holds only the log. */
  database: SqlDatabase;
  logger: Logger;
  defaultPartitions?: number;
  pollIntervalMs?: number;
  maxBatch?: number;
  /** A group's single active member keeps its lease this long without renewing. */
  groupLeaseMs?: number;
}

/** Kafka's key → partition idea with a stable hash; any stable hash keeps one key on one partition. */
export function partitionFor(key: string, partitions: number): number {
  return createHash('md5').update(key).digest().readUInt32BE(0) % partitions;
}

/**
 * A durable log with Kafka's contract on Postgres tables, for single-process runs: appends allocate
 * offsets under the partition's row lock (so offset order is commit order); a group's committed offsets
 * are rows; NOTIFY wakes consumers. It survives restarts because it is just the database.
 */
export function createEmbeddedLog(options: EmbeddedLogOptions): EventTransport {
  const { database, logger } = options;
  const db = database.db as Kysely<LogTables>;
  const defaultPartitions = options.defaultPartitions ?? 1;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const maxBatch = options.maxBatch ?? 500;
  const groupLeaseMs = options.groupLeaseMs ?? 10_000;
  const channel = `kit_log_${database.namespace}`.slice(0, 63);
  const consumers = new Set<ConsumerHandle>();
  const partitionCounts = new Map<string, number>();

  async function partitionsOf(topic: string): Promise<number> {
    const known = partitionCounts.get(topic);
    if (known) return known;
    const row = await db
      .selectFrom('log_partitions')
      .select(({ fn }) => fn.countAll<number>().as('count'))
      .where('topic', '=', topic)
      .executeTakeFirst();
    const count = Number(row?.count ?? 0);
    if (count === 0) throw Object.assign(new Error(`Unknown topic ${topic}`), { retriable: false });
    partitionCounts.set(topic, count);
    return count;
  }

  async function send(records: TransportRecord[]): Promise<void> {
    if (records.length === 0) return;
    const byPartition = new Map<string, { topic: string; partition: number; records: TransportRecord[] }>();
    for (const record of records) {
      const partition = partitionFor(record.key, await partitionsOf(record.topic));
      const id = `${record.topic}\u0000${partition}`;
      const group = byPartition.get(id) ?? { topic: record.topic, partition, records: [] };
      group.records.push(record);
      byPartition.set(id, group);
    }
    await database.transaction(async (trx) => {
      for (const { topic, partition, records: group } of byPartition.values()) {
        const { next_offset: end } = await trx
          .updateTable('log_partitions')
          .set((eb) => ({ next_offset: eb('next_offset', '+', group.length) }))
          .where('topic', '=', topic)
          .where('partition', '=', partition)
          .returning('next_offset')
          .executeTakeFirstOrThrow();
        const first = end - group.length;
        await trx
          .insertInto('log_records')
          .values(
            group.map((record, index) => ({
              topic,
              partition,
              offset: first + index,
              key: record.key,
              value: record.value,
              headers: JSON.stringify(record.headers),
            })),
          )
          .execute();
      }
      await database.notify(trx, channel);
    });
  }

  async function ensureTopics(topics: TopicSpec[]): Promise<void> {
    for (const { topic, partitions = defaultPartitions } of topics) {
      await db
        .insertInto('log_partitions')
        .values(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, next_offset: 0 })))
        .onConflict((conflict) => conflict.doNothing())
        .execute();
    }
  }

  async function consume({
    groupId,
    topics,
    fromBeginning,
    onBatch,
  }: ConsumeOptions): Promise<ConsumerHandle> {
    async function committedOffset(topic: string, partition: number): Promise<number> {
      const row = await db
        .selectFrom('log_group_offsets')
        .select('next_offset')
        .where('group_id', '=', groupId)
        .where('topic', '=', topic)
        .where('partition', '=', partition)
        .executeTakeFirst();
      if (row) return row.next_offset;
      // A new group: start at the oldest record or at the end, and remember that choice like Kafka does.
      const start = fromBeginning
        ? 0
        : (
            await db
              .selectFrom('log_partitions')
              .select('next_offset')
              .where('topic', '=', topic)
              .where('partition', '=', partition)
              .executeTakeFirstOrThrow()
          ).next_offset;
      await commit(topic, partition, start);
      return start;
    }

    async function commit(topic: string, partition: number, nextOffset: number): Promise<void> {
      await db
        .insertInto('log_group_offsets')
        .values({ group_id: groupId, topic, partition, next_offset: nextOffset, updated_at: new Date() })
        .onConflict((conflict) =>
          conflict
            .columns(['group_id', 'topic', 'partition'])
            .doUpdateSet({ next_offset: nextOffset, updated_at: new Date() }),
        )
        .execute();
    }

    /**
     * Fetches and hands over one batch per partition. 'more' when a partition filled a whole batch (more
     * may be waiting); otherwise every append since the pass began has woken the loop already.
     */
    async function pollOnce(stopping: AbortSignal): Promise<'more' | 'idle'> {
      let full = false;
      for (const topic of topics) {
        const partitions = await partitionsOf(topic);
        for (let partition = 0; partition < partitions && !stopping.aborted; partition++) {
          const from = await committedOffset(topic, partition);
          const rows = await db
            .selectFrom('log_records')
            .selectAll()
            .where('topic', '=', topic)
            .where('partition', '=', partition)
            .where('offset', '>=', from)
            .orderBy('offset')
            .limit(maxBatch)
            .execute();
          if (rows.length === 0) continue;
          const records: ConsumedRecord[] = rows.map((row) => ({
            ...row,
            headers: typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers,
          }));
          let processed: ConsumedRecord | undefined;
          try {
            await onBatch({
              topic,
              partition,
              records,
              markProcessed: (record) => {
                processed = record;
              },
              isStopping: () => stopping.aborted,
              heartbeat: async () => {},
            });
          } finally {
            if (processed) await commit(topic, partition, processed.offset + 1);
          }
          if (rows.length === maxBatch) full = true;
        }
      }
      return full ? 'more' : 'idle';
    }

    // A group has one active member at a time: the lease (the log serves one process).
    const loop = createLeasedLoop({
      database,
      lease: `group:${groupId}`,
      leaseMs: groupLeaseMs,
      pollIntervalMs,
      channel,
      logger: logger.child({ groupId }),
      name: 'embedded log consumer',
      work: pollOnce,
    });
    const handle: ConsumerHandle = {
      state: loop.state,
      async stop() {
        await loop.stop();
        consumers.delete(handle);
      },
    };
    consumers.add(handle);
    await loop.start();
    return handle;
  }

  return {
    kind: 'embedded',
    ensureTopics,
    send,
    consume,
    async close() {
      await Promise.all([...consumers].map((consumer) => consumer.stop()));
    },
  };
}

/** Offsets of a topic's partitions, for tests and tools. */
export async function logEndOffsets(database: SqlDatabase, topic: string): Promise<number[]> {
  const { rows } = await sql<{ next_offset: number }>`
    select next_offset from log_partitions where topic = ${topic} order by partition`.execute(database.db);
  return rows.map((row) => row.next_offset);
}
