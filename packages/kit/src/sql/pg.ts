import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { OID, parseDate, parseInt8, postgresNotify, quoteIdentifier } from './postgres-common.ts';
import { assertIdentifier, observeQueries, type QueryObserver, type SqlDatabase } from './types.ts';

export interface PgDatabaseOptions {
  url: string;
  /** Schema for this service's tables (runMigrations creates it); defaults to the database's `public`. */
  schema?: string;
  /** Upper bound on pooled connections. */
  maxConnections?: number;
  onQuery?: QueryObserver;
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

  const listeners = new Set<pg.Client>();
  let closed = false;
  return {
    dialect: 'postgres',
    db,
    namespace: schema ?? 'public',
    transaction: (fn) => db.transaction().execute(fn),
    notify: postgresNotify,
    async listen(channel, onNotify) {
      // LISTEN needs a session of its own: a pooled connection would be handed to other queries.
      const client = new pg.Client(connection);
      client.on('error', () => {});
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify();
      });
      await client.connect();
      await client.query(`listen ${quoteIdentifier(channel)}`);
      listeners.add(client);
      return async () => {
        listeners.delete(client);
        await client.end().catch(() => {});
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...listeners].map((client) => client.end().catch(() => {})));
      listeners.clear();
      await db.destroy();
    },
  };
}
