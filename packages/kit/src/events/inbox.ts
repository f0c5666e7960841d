import type { Kysely, Transaction } from 'kysely';
import { retryCollisions } from '../sql/collisions.ts';
import type { AnyKysely, SqlDatabase, SqlDialect } from '../sql/types.ts';

/** One delivery of an event to a consumer group. */
export interface Delivery {
  readonly groupId: string;
  readonly eventId: string;
}

export type InboxOutcome = 'applied' | 'duplicate';

/** One string per (group, event id), for sets and maps of deliveries. */
export const deliveryKey = ({ groupId, eventId }: Delivery): string => `${groupId}\u0000${eventId}`;

/**
 * The inbox seam under the idempotent consumer: the record that an event was handled, and the handler's
 * effect, committed as one unit. `Unit` is what the effect writes through: for SQL the transaction that
 * also writes the record; for a store without multi-document transactions the delivery itself, whose
 * event id the effect's single-document writes are keyed by (see `createMarkerInbox`).
 */
export interface Inbox<Unit> {
  /**
   * Runs `effect` unless this group already recorded the event. 'applied': the effect ran and the event
   * is recorded; 'duplicate': it was recorded before and the effect did not run. An effect that throws
   * leaves no record and the error propagates (the consumer retries or dead-letters). Concurrent
   * deliveries of one event to one group apply it once.
   */
  deliver(delivery: Delivery, effect: (unit: Unit) => Promise<void>): Promise<InboxOutcome>;
  /**
   * `deliver` for several events, in order, as one unit (one transaction for SQL): all of them applied or
   * recorded as duplicates, or, when any effect throws, none (the error propagates). Optional: the
   * consumer then delivers a batch's events one by one.
   */
  deliverAll?(
    deliveries: ReadonlyArray<{ delivery: Delivery; effect: (unit: Unit) => Promise<void> }>,
  ): Promise<InboxOutcome[]>;
}

/** What SQL handlers receive: the transaction that also records the event. */
// biome-ignore lint/suspicious/noExplicitAny: handlers type their own tables
export type SqlUnit = Transaction<any>;

interface InboxTables {
  kit_processed_events: { group_id: string; event_id: string };
}

/**
 * The SQL inbox (Postgres on `pg` and PGlite, MySQL/MariaDB): the effect runs in a transaction that first
 * inserts (group, event id) into `kit_processed_events` (the event kit's migrations), so effect and record
 * commit or roll back together. A concurrent delivery of the same event waits on that row and then sees it.
 * A transaction aborted for colliding with another is run again (`retryCollisions`).
 */
export function sqlInbox(database: SqlDatabase): Inbox<SqlUnit> {
  return {
    deliver: (delivery, effect) =>
      retryCollisions(() =>
        database.transaction(async (trx): Promise<InboxOutcome> => {
          if (!(await recordFirstDelivery(database.dialect, trx, delivery))) return 'duplicate';
          await effect(trx);
          return 'applied';
        }),
      ),
    deliverAll: (deliveries) =>
      retryCollisions(() =>
        database.transaction(async (trx) => {
          const first = await recordFirstDeliveries(
            database.dialect,
            trx,
            deliveries.map((d) => d.delivery),
          );
          const outcomes: InboxOutcome[] = [];
          for (const [index, { effect }] of deliveries.entries()) {
            if (!first[index]) outcomes.push('duplicate');
            else {
              await effect(trx);
              outcomes.push('applied');
            }
          }
          return outcomes;
        }),
      ),
  };
}

/**
 * Records every event id for its group, in order; per delivery whether it was its first (false for one
 * recorded before, and for a repeat within `deliveries`). Postgres: one statement for all of them, so a
 * batch costs one round trip, not one per event. MySQL's INSERT IGNORE does not say which rows it
 * inserted: one statement per delivery there.
 */
async function recordFirstDeliveries(
  dialect: SqlDialect,
  trx: AnyKysely,
  deliveries: readonly Delivery[],
): Promise<boolean[]> {
  if (dialect === 'mysql') {
    const first: boolean[] = [];
    for (const delivery of deliveries) first.push(await recordFirstDelivery(dialect, trx, delivery));
    return first;
  }
  const unique = new Map<string, Delivery>();
  for (const delivery of deliveries) unique.set(deliveryKey(delivery), delivery);
  const inserted = await (trx as Kysely<InboxTables>)
    .insertInto('kit_processed_events')
    .values([...unique.values()].map(({ groupId, eventId }) => ({ group_id: groupId, event_id: eventId })))
    .onConflict((conflict) => conflict.doNothing())
    .returning(['group_id', 'event_id'])
    .execute();
  const fresh = new Set(inserted.map((row) => deliveryKey({ groupId: row.group_id, eventId: row.event_id })));
  // The first occurrence of a fresh key is its first delivery; a repeat within the batch is a duplicate.
  return deliveries.map((delivery) => fresh.delete(deliveryKey(delivery)));
}

/** Records the event id for the group; false when it was already there (a redelivery). */
async function recordFirstDelivery(
  dialect: SqlDialect,
  trx: AnyKysely,
  { groupId, eventId }: Delivery,
): Promise<boolean> {
  const insert = (trx as Kysely<InboxTables>)
    .insertInto('kit_processed_events')
    .values({ group_id: groupId, event_id: eventId });
  if (dialect === 'mysql') {
    const [result] = await insert.ignore().execute();
    return result?.numInsertedOrUpdatedRows === 1n;
  }
  const inserted = await insert
    .onConflict((conflict) => conflict.doNothing())
    .returning('event_id')
    .execute();
  return inserted.length === 1;
}
