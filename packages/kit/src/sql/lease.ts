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

/** A lease one owner keeps: `hold()` says whether it holds it, renewing only when a renewal is due. */
export interface LeaseHolder {
  /**
   * True when this owner holds the lease for at least two thirds of its ttl from now. Renews (one write)
   * only once a third of the ttl has passed since the last renewal, not on every call, so a loop can ask
   * before every pass without writing on every pass.
   */
  hold(): Promise<boolean>;
  /** Gives the lease up at once (another owner may take it on its next try). */
  release(): Promise<void>;
}

export function createLeaseHolder(
  database: SqlDatabase,
  name: string,
  owner: string,
  ttlMs: number,
): LeaseHolder {
  const renewEveryMs = ttlMs / 3;
  // Monotonic time read before the last successful renewal was sent: the server computed the expiry
  // after that instant, so the lease is ours until at least renewedAt + ttlMs.
  let renewedAt: number | undefined;
  return {
    async hold() {
      if (renewedAt !== undefined && performance.now() - renewedAt < renewEveryMs) return true;
      renewedAt = undefined; // until the renewal succeeds nothing is known (it may throw)
      const sentAt = performance.now();
      if (!(await acquireLease(database, name, owner, ttlMs))) return false;
      renewedAt = sentAt;
      return true;
    },
    async release() {
      renewedAt = undefined;
      await releaseLease(database, name, owner);
    },
  };
}
