import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { appointmentTopic, auditTopic, doctorTopic, patientTopic } from '@hsg/contracts';
import { createEventConsumer, projectionCommits, sqlInbox } from '@hsg/kit/events';
import { defineSubgraph } from '@hsg/kit/runtime';
import type { MigrationSource, SqlDatabase } from '@hsg/kit/sql';
import { parse } from 'graphql';
import { appointmentAudit, appointmentPolicies, visibilityOf } from './access.ts';
import { createAppointmentDomain } from './domain.ts';
import { appointmentSettings } from './env.ts';
import { createRequestLoaders } from './loaders.ts';
import { createNoShowJob } from './no-show.ts';
import { projectionChannel, projectionSubscriptions } from './projections.ts';
import { createResolvers } from './resolvers.ts';
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

/**
 * The appointment subgraph: booking without double booking, slots and no-shows, on Postgres (PGlite when
 * embedded), with projections of patients and doctors fed by their events.
 */
export const appointmentSubgraph = defineSubgraph({
  name: 'appointment',
  engine: 'apollo',
  port: 4103,
  store: 'postgres',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  migrations: [appointmentMigrations],
  // The consumed topics too, so the projections can subscribe before patient/doctor ever produced.
  topics: [appointmentTopic, patientTopic, doctorTopic, auditTopic],
  settings: appointmentSettings,
  createStore: createSqlAppointmentStore,
  createWorkers({ database, transport, logger, clock, settings }) {
    // Projection commits NOTIFY this channel, so waiting bookings wake at once on every instance.
    const commits = projectionCommits(database, projectionChannel(database.namespace), logger);
    const projections = createEventConsumer({
      transport,
      inbox: sqlInbox(database),
      groupId: projectionGroupFor(database),
      subscriptions: projectionSubscriptions({ database, clock }),
      logger: logger.child({ component: 'projections' }),
    });
    const noShowJob = createNoShowJob({
      database,
      logger: logger.child({ component: 'no-show' }),
      intervalMs: settings.NO_SHOW_INTERVAL_MS,
      graceMinutes: settings.NO_SHOW_GRACE_MINUTES,
      clock,
    });
    return { commits, projections, noShowJob };
  },
  createApi({ store, clock, settings, workers }) {
    const lag = {
      waitMs: settings.PROJECTION_WAIT_MS,
      graceMs: settings.PROJECTION_GRACE_MS,
      consumerReady: () => workers.projections.state() === 'ready',
      signal: workers.commits.signal,
    };
    const domain = createAppointmentDomain({ store, clock, lag });
    return {
      resolvers: createResolvers(domain),
      context: ({ principal }) => {
        const visible = visibilityOf(principal);
        return { loaders: createRequestLoaders(domain, visible), visible };
      },
      policies: appointmentPolicies,
      audit: appointmentAudit,
      exposed: { domain, store },
    };
  },
});

export type AppointmentSubgraph = typeof appointmentSubgraph;
export { createNoShowJob, type NoShowJob } from './no-show.ts';
export type { AppointmentStore } from './store.ts';
export { createSqlAppointmentStore } from './store-sql.ts';
