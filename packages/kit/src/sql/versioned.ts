import { sql } from 'kysely';
import { staleVersion } from '../errors.ts';
import { enqueueEvents, type OutgoingEvent } from '../events/outbox.ts';
import { type AnyKysely, assertIdentifier, type SqlDatabase } from './types.ts';

/**
 * Optimistic concurrency for an aggregate row with a `version` column, inside the caller's transaction:
 * locks the row, then returns false when it does not exist and throws CONFLICT (with `currentVersion`)
 * when someone else changed it since the client read `expectedVersion`. Same SQL on every dialect.
 */
export async function lockExpectedVersion(
  trx: AnyKysely,
  table: string,
  id: string,
  expectedVersion: number,
  entity: string,
): Promise<boolean> {
  const { rows } = await sql<{ version: number }>`
    select version from ${sql.table(assertIdentifier('table', table))} where id = ${id} for update`.execute(
    trx,
  );
  const current = rows[0];
  if (!current) return false;
  if (Number(current.version) !== expectedVersion) {
    throw staleVersion(entity, expectedVersion, Number(current.version));
  }
  return true;
}

/** Where an aggregate with a `version` column is written: its row, its child rows, and their mapping. */
export interface AggregateTable<Entity extends { id: string }> {
  table: string;
  /** The entity's name in a stale-version CONFLICT ("patient was changed meanwhile ..."). */
  entity: string;
  /** The row to write; `id` and `created_at` are left out of updates. */
  toRow(entity: Entity): { id: string };
  /** Replaces the entity's child rows (search tokens, tags) inside the transaction. */
  writeChildren?(trx: AnyKysely, entity: Entity): Promise<void>;
  /** Maps a store error to a domain one (a unique violation → CONFLICT naming the field); rethrows the rest. */
  mapError?(error: unknown): never;
}

/** The events a write publishes, built from what was saved (the outbox commits them with it). */
export type EventsOf<Entity> = (saved: Entity) => OutgoingEvent[];

/**
 * Inserts and optimistic-version updates of an aggregate: row, child rows and outbox events in one
 * transaction, so a change and its events commit together or not at all.
 */
export function aggregateWriter<Entity extends { id: string }>(
  database: SqlDatabase,
  spec: AggregateTable<Entity>,
) {
  const table = assertIdentifier('table', spec.table);
  const mapError =
    spec.mapError ??
    ((error: unknown): never => {
      throw error;
    });
  return {
    insert(entity: Entity, events: EventsOf<Entity>): Promise<Entity> {
      return database
        .transaction(async (trx: AnyKysely) => {
          await trx
            .insertInto(table)
            .values(spec.toRow(entity) as Record<string, unknown>)
            .execute();
          await spec.writeChildren?.(trx, entity);
          await enqueueEvents(database, trx, events(entity));
          return entity;
        })
        .catch(mapError);
    },
    /** Undefined when the entity does not exist; CONFLICT when its version moved on. */
    update(next: Entity, expectedVersion: number, events: EventsOf<Entity>): Promise<Entity | undefined> {
      return database
        .transaction(async (trx: AnyKysely) => {
          if (!(await lockExpectedVersion(trx, table, next.id, expectedVersion, spec.entity)))
            return undefined;
          const { id: _id, created_at: _created, ...changes } = spec.toRow(next) as Record<string, unknown>;
          await trx.updateTable(table).set(changes).where('id', '=', next.id).execute();
          await spec.writeChildren?.(trx, next);
          await enqueueEvents(database, trx, events(next));
          return next;
        })
        .catch(mapError);
    },
  };
}
