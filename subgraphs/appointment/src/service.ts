import { fileURLToPath } from 'node:url';
import { appointmentTopic, doctorTopic, patientTopic } from '@hsg/contracts';
import { createEventConsumer, type EventTransport, migrateAndStartOutbox } from '@hsg/kit/events';
import type { MigrationSource, SqlDatabase } from '@hsg/kit/sql';
import type { Logger } from 'pino';
import { appointmentDefaults } from './defaults.ts';
import { createNoShowJob } from './no-show.ts';
import { createProjectionSignal } from './projection-lag.ts';
import { projectionChannel, projectionSubscriptions } from './projections.ts';
import { createServer } from './server.ts';
import type { AppointmentStore } from './store.ts';
import { createSqlAppointmentStore } from './store-sql.ts';

export const appointmentMigrations: MigrationSource = {
  name: 'appointment',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
};

/**
 * The projections' consumer group. Its committed offsets only make sense together with the tables they
 * filled, so it is named after the schema: instances sharing a schema share the work, and a fresh schema
 * (a reset, an e2e run) replays the topics instead of inheriting another schema's offsets.
 */
const projectionGroupFor = (database: SqlDatabase): string => `appointment.projections.${database.namespace}`;

export interface AppointmentServiceDeps {
  database: SqlDatabase;
  transport: EventTransport;
  logger: Logger;
  port: number;
  host?: string;
  clock?: () => Date;
  /** How long a booking waits for an absent patient/doctor to reach the projections. */
  projectionWaitMs?: number;
  /** How recent a UUIDv7 must be for "absent" to mean "not yet known" (UNAVAILABLE) rather than unknown. */
  projectionGraceMs?: number;
  noShowIntervalMs?: number;
  noShowGraceMinutes?: number;
  /** Wraps the store the server uses, e.g. to count calls in tests. */
  instrumentStore?: (store: AppointmentStore) => AppointmentStore;
}

/**
 * Migrates, then starts the outbox relay, the projection consumer, the no-show job and the server. The
 * same wiring runs as its own process (`index.ts`, real mode) and inside the single embedded process.
 */
export async function startAppointmentService({
  database,
  transport,
  logger,
  port,
  host = '127.0.0.1',
  clock,
  projectionWaitMs = appointmentDefaults.projectionWaitMs,
  projectionGraceMs = appointmentDefaults.projectionGraceMs,
  noShowIntervalMs = appointmentDefaults.noShowIntervalMs,
  noShowGraceMinutes = appointmentDefaults.noShowGraceMinutes,
  instrumentStore = (store) => store,
}: AppointmentServiceDeps) {
  const relay = await migrateAndStartOutbox({
    database,
    transport,
    logger,
    migrations: [appointmentMigrations],
    // The consumed topics too, so the projections can subscribe before patient/doctor ever produced.
    topics: [appointmentTopic, patientTopic, doctorTopic],
  });
  const signal = createProjectionSignal();
  const unlisten = await database
    .listen(projectionChannel(database.namespace), () => signal.notify())
    .catch((error: unknown) => {
      logger.warn({ err: error }, 'cannot listen for projection commits; bookings poll instead');
      return undefined;
    });
  const consumer = createEventConsumer({
    transport,
    database,
    groupId: projectionGroupFor(database),
    subscriptions: projectionSubscriptions({ database, clock }),
    logger: logger.child({ component: 'projections' }),
  });
  await consumer.start();
  const noShowJob = createNoShowJob({
    database,
    logger: logger.child({ component: 'no-show' }),
    intervalMs: noShowIntervalMs,
    graceMinutes: noShowGraceMinutes,
    clock,
  });
  noShowJob.start();
  const store = instrumentStore(createSqlAppointmentStore(database));
  const consumerReady = () => consumer.state() === 'ready';
  const server = createServer({
    store,
    logger,
    clock,
    lag: { waitMs: projectionWaitMs, graceMs: projectionGraceMs, consumerReady, signal },
    readiness: { outbox: () => relay.state() === 'ready', projections: consumerReady },
  });
  const boundPort = await server.start(port, host);
  return {
    url: `http://${host}:${boundPort}/graphql`,
    port: boundPort,
    domain: server.domain,
    store,
    noShowJob,
    projections: consumer,
    /** Stops taking requests and running the job, then lets the consumer and the relay finish and stop. */
    async stop() {
      await server.stop();
      await noShowJob.stop();
      await consumer.stop();
      await unlisten?.();
      await relay.stop();
    },
  };
}

export type AppointmentService = Awaited<ReturnType<typeof startAppointmentService>>;
export { appointmentDefaults } from './defaults.ts';
export { createNoShowJob, type NoShowJob } from './no-show.ts';
export { createServer } from './server.ts';
export type { AppointmentStore } from './store.ts';
export { createSqlAppointmentStore } from './store-sql.ts';
