import { fileURLToPath } from 'node:url';
import { patientTopic } from '@hsg/contracts';
import { type EventTransport, migrateAndStartOutbox } from '@hsg/kit/events';
import type { MigrationSource, SqlDatabase } from '@hsg/kit/sql';
import type { Logger } from 'pino';
import { createServer } from './server.ts';
import { createSqlPatientStore } from './store-sql.ts';

export const patientMigrations: MigrationSource = {
  name: 'patient',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
};

export interface PatientServiceDeps {
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
export async function startPatientService({
  database,
  transport,
  logger,
  port,
  host = '127.0.0.1',
}: PatientServiceDeps) {
  const relay = await migrateAndStartOutbox({
    database,
    transport,
    logger,
    migrations: [patientMigrations],
    topics: [patientTopic],
  });
  const store = createSqlPatientStore(database);
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

export type PatientService = Awaited<ReturnType<typeof startPatientService>>;
export { createServer } from './server.ts';
export { createSqlPatientStore } from './store-sql.ts';
