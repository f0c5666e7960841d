import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infraEnv } from '@hsg/infra';
import { silentLogger } from '@hsg/kit';
import {
  createEmbeddedLog,
  createKafkaTransport,
  type EventTransport,
  eventLogMigrations,
} from '@hsg/kit/events';
import { EmbeddedPostgres, runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { realPostgresBackend, type SqlBackend } from './databases.ts';
import { uniqueName } from './names.ts';

/** A transport implementation plus the SQL backend its services keep their state in. */
export interface EventBackend {
  readonly name: string;
  readonly sql: SqlBackend;
  /** A new client of the transport (several may be open at once, like several processes). */
  transport(): Promise<EventTransport>;
  /** Closes every client and the store under them, then opens the store again from disk. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** Kafka from `npm run infra -- up`, services on real Postgres (or on MariaDB: the MySQL outbox). */
export function kafkaBackend(sql: SqlBackend = realPostgresBackend()): EventBackend {
  const transports: EventTransport[] = [];
  return {
    name: sql.dialect === 'mysql' ? 'kafka + mariadb' : 'kafka',
    sql,
    async transport() {
      const transport = createKafkaTransport({
        brokers: infraEnv().KAFKA_BROKERS.split(','),
        clientId: uniqueName('contract'),
        logger: silentLogger(),
      });
      transports.push(transport);
      return transport;
    },
    async restart() {
      for (const transport of transports.splice(0)) await transport.close();
    },
    async dispose() {
      for (const transport of transports.splice(0)) await transport.close();
      await sql.dispose();
    },
  };
}

/**
 * The embedded log as `npm start` runs it: one PGlite on disk holding the log's schema and every service
 * schema. restart() closes it and opens the same data directory again.
 */
export function embeddedLogBackend(): EventBackend {
  let dataDir: string | undefined;
  let embedded: Promise<EmbeddedPostgres> | undefined;
  let logDatabase: Promise<SqlDatabase> | undefined;
  const logSchema = uniqueName('log');
  const transports: EventTransport[] = [];
  const databases: SqlDatabase[] = [];

  const instance = () => {
    embedded ??= (async () => {
      dataDir ??= await mkdtemp(join(tmpdir(), 'embedded-log-'));
      return EmbeddedPostgres.open({ dataDir });
    })();
    return embedded;
  };
  const closeAll = async () => {
    for (const transport of transports.splice(0)) await transport.close();
    for (const database of databases.splice(0)) await database.close();
    if (embedded) await (await embedded).close();
    embedded = undefined;
    logDatabase = undefined;
  };

  const sql: SqlBackend = {
    name: 'pglite',
    dialect: 'postgres',
    newNamespace: () => uniqueName('t'),
    async open(schema) {
      const database = await (await instance()).database(schema);
      databases.push(database);
      return database;
    },
    dispose: closeAll,
  };

  return {
    name: 'embedded',
    sql,
    async transport() {
      logDatabase ??= (async () => {
        const database = await sql.open(logSchema);
        await runMigrations(database, [eventLogMigrations]);
        return database;
      })();
      const transport = createEmbeddedLog({
        database: await logDatabase,
        logger: silentLogger(),
        pollIntervalMs: 200,
      });
      transports.push(transport);
      return transport;
    },
    restart: closeAll,
    async dispose() {
      await closeAll();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
