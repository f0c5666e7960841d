import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type Logger, silentLogger } from '../logger.ts';
import type { BackoffOptions } from '../retry.ts';
import { createPgListener } from './pg-listener.ts';
import { OID, parseDate, parseInt8, postgresNotify } from './postgres-common.ts';
import { assertIdentifier, observeQueries, type QueryObserver, type SqlDatabase } from './types.ts';

export interface PgDatabaseOptions {
  url: string;
  /** Schema for this service's tables (runMigrations creates it); defaults to the database's `public`. */
  schema?: string;
  /** Upper bound on pooled connections. */
  maxConnections?: number;
  onQuery?: QueryObserver;
  /** Where the LISTEN connection reports losing and regaining its server; silent when absent. */
  logger?: Logger;
  /** Reconnect delays of the LISTEN connection (default 100 ms doubling to 5 s, jittered). */
  listenBackoff?: BackoffOptions;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID.int8) return parseInt8;
    if (oid === OID.date) return parseDate;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** A pooled connection to a real Postgres server. */
export async function createPgDatabase(options: PgDatabaseOptions): Promise<SqlDatabase> {
  const schema = options.schema === undefined ? undefined : assertIdentifier('schema', options.schema);
  const connection = { connectionString: options.url, types };
  const pool = new pg.Pool({
    ...connection,
    max: options.maxConnections ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool }),
    ...observeQueries(options.onQuery),
  });

  // LISTEN needs a session of its own: a pooled connection would be handed to other queries.
  const listener = createPgListener({
    connection,
    logger: options.logger ?? silentLogger(),
    ...(options.listenBackoff ? { backoff: options.listenBackoff } : {}),
  });
  let closed = false;
  return {
    dialect: 'postgres',
    db,
    namespace: schema ?? 'public',
    transaction: (fn) => db.transaction().execute(fn),
    notify: postgresNotify,
    listen: (channel, onNotify) => listener.listen(channel, onNotify),
    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await db.destroy();
    },
  };
}
