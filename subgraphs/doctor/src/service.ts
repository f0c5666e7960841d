import { fileURLToPath } from 'node:url';
import { doctorTopic } from '@hsg/contracts';
import { type EventTransport, migrateAndStartOutbox } from '@hsg/kit/events';
import type { MigrationSource, SqlDatabase } from '@hsg/kit/sql';
import type { Logger } from 'pino';
import { createServer } from './server.ts';
import { createSqlDoctorStore } from './store-sql.ts';

const migrationsDir = (dialect: string) =>
  fileURLToPath(new URL(`../migrations/${dialect}`, import.meta.url));

/** MySQL and Postgres DDL differ; the queries running on them do not. */
export const doctorMigrations: MigrationSource = {
  name: 'doctor',
  dir: { postgres: migrationsDir('postgres'), mysql: migrationsDir('mysql') },
};

export interface DoctorServiceDeps {
  /** MariaDB/MySQL in real mode, PGlite in embedded mode. */
  database: SqlDatabase;
  transport: EventTransport;
  logger: Logger;
  port: number;
  host?: string;
}

/**
 * Migrates, starts the outbox relay and serves the subgraph. The same wiring runs as its own process
 * (`index.ts`, real mode) and inside the single embedded process.
 */
export async function startDoctorService({
  database,
  transport,
  logger,
  port,
  host = '127.0.0.1',
}: DoctorServiceDeps) {
  const relay = await migrateAndStartOutbox({
    database,
    transport,
    logger,
    migrations: [doctorMigrations],
    topics: [doctorTopic],
  });
  const store = createSqlDoctorStore(database);
  const server = createServer({ store, logger, readiness: { outbox: () => relay.state() === 'ready' } });
  const boundPort = await server.start(port, host);
  return {
    url: `http://${host}:${boundPort}/graphql`,
    port: boundPort,
    domain: server.domain,
    store,
    /** Stops taking requests, then lets the relay publish what is pending and stop. */
    async stop() {
      await server.stop();
      await relay.stop();
    },
  };
}

export type DoctorService = Awaited<ReturnType<typeof startDoctorService>>;
export { createServer } from './server.ts';
export { createSqlDoctorStore } from './store-sql.ts';
