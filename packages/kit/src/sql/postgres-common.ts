import { sql } from 'kysely';
import { type AnyKysely, assertIdentifier } from './types.ts';

/**
 * Column types decoded the same way by both Postgres drivers, so code and tests see identical values:
 * int8 as a JS number (ids and offsets stay far below 2^53), `date` as its 'YYYY-MM-DD' text (a calendar
 * date has no time zone; a JS Date would invent one).
 */
export const OID = { int8: 20, date: 1082 } as const;
export const parseInt8 = (value: string): number => Number(value);
export const parseDate = (value: string): string => value;

/** NOTIFY is transactional in Postgres: delivered at commit, dropped on rollback. */
export async function postgresNotify(executor: AnyKysely, channel: string): Promise<void> {
  await sql`select pg_notify(${assertIdentifier('channel', channel)}, '')`.execute(executor);
}

export function quoteIdentifier(value: string): string {
  return `"${assertIdentifier('identifier', value)}"`;
}
