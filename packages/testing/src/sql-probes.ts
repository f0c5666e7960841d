import type { AnyKysely } from '@hsg/kit/sql';
import { sql } from 'kysely';
import { waitFor } from './wait.ts';

/**
 * What a subgraph test asks its own database directly, through the kit's tables: whether the consumer
 * handled an event, how many rows match, and the events a change left in the outbox.
 */
export function sqlProbes(db: AnyKysely) {
  return {
    /** Resolves once the subgraph's consumer recorded the event as handled (the SQL inbox). */
    async applied(eventId: string): Promise<void> {
      await waitFor(async () => {
        const row = await sql`select 1 from kit_processed_events where event_id = ${eventId}`.execute(db);
        return row.rows.length > 0;
      }, 60_000);
    },
    /** Rows of `table` whose `column` equals `value`. */
    async count(table: string, column: string, value: unknown): Promise<number> {
      const result = await sql<{ count: number }>`select count(*) as count from ${sql.table(table)}
        where ${sql.ref(column)} = ${value}`.execute(db);
      return Number(result.rows[0]?.count ?? 0);
    },
    /** The outbox's events for a key on a topic, in the order written. */
    async outbox(key: string, topic: string) {
      const result = await sql<{ payload: string }>`select payload from kit_outbox
        where topic = ${topic} and key = ${key} order by seq`.execute(db);
      return result.rows.map(
        (row) => JSON.parse(row.payload) as { type: string; data: Record<string, unknown> },
      );
    },
  };
}
