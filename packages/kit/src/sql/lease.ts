import { sql } from 'kysely';
import type { SqlDatabase } from './types.ts';

/**
 * Takes or renews a named lease in the `kit_leases` table of the database's namespace. Returns whether
 * `owner` holds it for the next ttlMs. A holder that stops renewing loses it when it expires.
 */
export async function acquireLease(
  database: SqlDatabase,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  if (database.dialect === 'mysql') {
    // Assignments run left to right and see earlier ones: once `owner` is ours, renew the expiry.
    await sql`insert into kit_leases (name, owner, expires_at)
      values (${name}, ${owner}, now(3) + interval ${ttlMs * 1000} microsecond)
      on duplicate key update
        owner = if(expires_at < now(3) or owner = values(owner), values(owner), owner),
        expires_at = if(owner = values(owner), values(expires_at), expires_at)`.execute(database.db);
    const { rows } = await sql<{ owner: string }>`select owner from kit_leases where name = ${name}`.execute(
      database.db,
    );
    return rows[0]?.owner === owner;
  }
  const { rows } = await sql<{ owner: string }>`
    insert into kit_leases (name, owner, expires_at)
    values (${name}, ${owner}, now() + ${ttlMs} * interval '1 millisecond')
    on conflict (name) do update set owner = excluded.owner, expires_at = excluded.expires_at
      where kit_leases.owner = excluded.owner or kit_leases.expires_at < now()
    returning owner`.execute(database.db);
  return rows.length === 1;
}

export async function releaseLease(database: SqlDatabase, name: string, owner: string): Promise<void> {
  await sql`delete from kit_leases where name = ${name} and owner = ${owner}`.execute(database.db);
}
