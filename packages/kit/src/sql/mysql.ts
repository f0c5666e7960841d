import { EventEmitter } from 'node:events';
import { CompiledQuery, Kysely, MysqlDialect, sql, type Transaction } from 'kysely';
import { createPool, type PoolOptions } from 'mysql2';
import {
  type AnyKysely,
  assertIdentifier,
  observeQueries,
  type QueryObserver,
  type SqlDatabase,
} from './types.ts';

export interface MysqlDatabaseOptions {
  url: string;
  /** Database for this service's tables (created if missing); defaults to the URL's. */
  database?: string;
  maxConnections?: number;
  onQuery?: QueryObserver;
}

/**
 * MySQL has no LISTEN/NOTIFY: notifications are delivered in-process (after commit when sent inside
 * `transaction`), and relays also poll for rows other processes wrote.
 */
const localNotifications = new EventEmitter().setMaxListeners(0);
const pendingByTransaction = new WeakMap<object, string[]>();

/** Same decoding as the Postgres drivers: DATE as 'YYYY-MM-DD', BIGINT as a number, JSON parsed. */
type TypeCast = Extract<PoolOptions['typeCast'], (...args: never[]) => unknown>;
type CastField = Parameters<TypeCast>[0];

const typeCast = ((field: CastField, next: () => unknown): unknown => {
  if (field.type === 'DATE') return field.string();
  if (field.type === 'TINY' && field.length === 1) {
    const text = field.string(); // BOOLEAN is TINYINT(1)
    return text === null ? null : text === '1';
  }
  if (field.type === 'LONGLONG') {
    const text = field.string();
    return text === null ? null : Number(text);
  }
  // MariaDB's JSON is LONGTEXT marked with the extended format 'json'.
  if (field.type === 'JSON' || field.extendedFormat === 'json') {
    const text = field.string();
    return text === null ? null : JSON.parse(text);
  }
  return next();
}) as TypeCast;

/** A pooled connection to MySQL or MariaDB (mysql2), behind the same seam as the Postgres drivers. */
export async function createMysqlDatabase(options: MysqlDatabaseOptions): Promise<SqlDatabase> {
  const url = new URL(options.url);
  const database = assertIdentifier('database', options.database ?? url.pathname.replace(/^\//, ''));
  if (options.database) {
    const bootstrap = createPool({ uri: options.url, connectionLimit: 1 }).promise();
    await bootstrap.query(`create database if not exists \`${database}\` character set utf8mb4`);
    await bootstrap.end();
  }
  const pool = createPool({
    uri: options.url,
    database,
    connectionLimit: options.maxConnections ?? 10,
    timezone: 'Z',
    typeCast,
  });
  const db = new Kysely<unknown>({
    dialect: new MysqlDialect({
      pool,
      // Timestamps are exchanged in UTC whatever the server's zone (mysql2 sends Dates as UTC: timezone 'Z').
      onCreateConnection: (connection) =>
        connection.executeQuery(CompiledQuery.raw("set time_zone = '+00:00'")).then(() => {}),
    }),
    ...observeQueries(options.onQuery),
  });
  const channelKey = (channel: string) => `${database}:${assertIdentifier('channel', channel)}`;

  return {
    dialect: 'mysql',
    db,
    namespace: database,
    async transaction(fn) {
      let pending: string[] = [];
      const result = await db.transaction().execute(async (trx: Transaction<unknown>) => {
        pending = [];
        pendingByTransaction.set(trx, pending);
        return fn(trx as never);
      });
      for (const channel of new Set(pending)) localNotifications.emit(channel);
      return result;
    },
    async notify(executor: AnyKysely, channel: string) {
      const pending = pendingByTransaction.get(executor);
      if (pending) pending.push(channelKey(channel));
      else localNotifications.emit(channelKey(channel));
    },
    async listen(channel, onNotify) {
      const key = channelKey(channel);
      localNotifications.on(key, onNotify);
      return async () => {
        localNotifications.off(key, onNotify);
      };
    },
    close: () => db.destroy(),
  };
}

/** A session-scoped named lock (MySQL has no transaction-scoped advisory locks). */
export async function withMysqlLock<T>(
  database: SqlDatabase,
  name: string,
  fn: (connection: AnyKysely) => Promise<T>,
): Promise<T> {
  return database.db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: number }>`select get_lock(${name}, 60) as locked`.execute(
      connection,
    );
    if (rows[0]?.locked !== 1) throw new Error(`Could not take lock ${name} within 60 s`);
    try {
      return await fn(connection);
    } finally {
      await sql`select release_lock(${name})`.execute(connection);
    }
  });
}
