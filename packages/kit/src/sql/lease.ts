import { sql } from 'kysely';
import type { AnyKysely } from './types.ts';

/**
 * Takes or renews a named lease in the `kit_leases` table of the database's namespace. Returns whether
 * `owner` holds it for the next ttlMs. A holder that stops renewing loses it when it expires.
 */
export async function acquireLease(
  db: AnyKysely,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  const { rows } = await sql<{ owner: string }>`
    insert into kit_leases (name, owner, expires_at)
    values (${name}, ${owner}, now() + ${ttlMs} * interval '1 millisecond')
    on conflict (name) do update set owner = excluded.owner, expires_at = excluded.expires_at
      where kit_leases.owner = excluded.owner or kit_leases.expires_at < now()
    returning owner`.execute(db);
  return rows.length === 1;
}

export async function releaseLease(db: AnyKysely, name: string, owner: string): Promise<void> {
  await sql`delete from kit_leases where name = ${name} and owner = ${owner}`.execute(db);
}
