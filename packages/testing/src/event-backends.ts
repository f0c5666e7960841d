import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infraEnv } from '@hsg/infra';
import { silentLogger } from '@hsg/kit';
import {
  createEmbeddedLog,
  createKafkaTransport,
  deleteKafkaTopics,
  type EventTransport,
  eventLogMigrations,
} from '@hsg/kit/events';
import { runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { pgliteBackend, realPostgresBackend, type SqlBackend } from './databases.ts';
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
  // Topics of its own (its transports share them, like one system's processes): a fresh consumer group
  // then replays this backend's events, not every run's before it.
  const topicPrefix = `${uniqueName('t')}.`;
  return {
    name: sql.dialect === 'mysql' ? 'kafka + mariadb' : 'kafka',
    sql,
    async transport() {
      const transport = createKafkaTransport({
        brokers: infraEnv().KAFKA_BROKERS.split(','),
        clientId: uniqueName('contract'),
        topicPrefix,
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
      await deleteKafkaTopics(infraEnv().KAFKA_BROKERS.split(','), topicPrefix);
      await sql.dispose();
    },
  };
}

/**
 * The embedded log as `npm start` runs it: one PGlite on disk holding the log's schema and every service
 * schema. restart() closes it and opens the same data directory again.
 */
export function embeddedLogBackend(): EventBackend {
  const dataDir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
  const sql = pgliteBackend({ dataDir });
  const logSchema = uniqueName('log');
  let logDatabase: Promise<SqlDatabase> | undefined;
  const transports: EventTransport[] = [];
  const closeAll = async () => {
    for (const transport of transports.splice(0)) await transport.close();
    await sql.dispose();
    logDatabase = undefined;
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
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
