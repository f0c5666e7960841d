import type { Kysely, Transaction } from 'kysely';

export type SqlDialect = 'postgres' | 'mysql';

/**
 * The SQL seam. Services write queries with Kysely (one builder, per-dialect compilers) and never learn
 * which driver runs them: pooled `pg` on a real server, PGlite in embedded mode, mysql2 for MySQL/MariaDB.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own default for an untyped database
export interface SqlDatabase<DB = any> {
  readonly dialect: SqlDialect;
  readonly db: Kysely<DB>;
  /** The schema (Postgres) or database (MySQL) holding this service's tables. */
  readonly namespace: string;
  /**
   * Runs fn in one transaction. Use this rather than `db.transaction()` so that notifications sent inside
   * (see `notify`) are delivered only after the commit.
   */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** Sends a wake-up on `channel`, delivered once the transaction commits (or at once outside one). */
  notify(executor: AnyKysely, channel: string): Promise<void>;
  /**
   * Calls onNotify for every notification on `channel`; resolves to a function that unsubscribes. Also
   * calls it when notifications may have been missed (the LISTEN session was lost and is back), so treat
   * a call as "look at the store again", never as a count of notifications. Rejects when it cannot
   * listen at all at the time of the call.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Sees every statement a database runs (for SQL logging and for tests that count queries). */
export type QueryObserver = (query: { sql: string; durationMs: number }) => void;

/** Kysely's `log` option calling the observer, or nothing when there is none. */
export const observeQueries = (observer: QueryObserver | undefined) =>
  observer
    ? {
        log: (event: { query: { sql: string }; queryDurationMillis: number }) =>
          observer({ sql: event.query.sql, durationMs: event.queryDurationMillis }),
      }
    : {};

/** Any Kysely instance or transaction, whatever its table types: for kit helpers that use raw SQL. */
// biome-ignore lint/suspicious/noExplicitAny: the helpers accept every typed database
export type AnyKysely = Kysely<any>;

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schemas and channels are interpolated into SQL, so only plain lower-case identifiers are accepted. */
export function assertIdentifier(kind: string, value: string): string {
  if (!identifier.test(value)) throw new Error(`${kind} must match ${identifier}: got "${value}"`);
  return value;
}
