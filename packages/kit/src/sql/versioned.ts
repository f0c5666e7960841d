import { sql } from 'kysely';
import { staleVersion } from '../errors.ts';
import { type AnyKysely, assertIdentifier } from './types.ts';

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
