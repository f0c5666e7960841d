import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { appointmentTopic, auditTopic, observationTopic, patientTopic } from '@hsg/contracts';
import { createEventConsumer, projectionCommits, sqlInbox } from '@hsg/kit/events';
import { defineSubgraph } from '@hsg/kit/runtime';
import type { MigrationSource } from '@hsg/kit/sql';
import { parse } from 'graphql';
import { observationAudit, observationPolicies, visibilityOf } from './access.ts';
import { createObservationDomain } from './domain.ts';
import { observationSettings } from './env.ts';
import { createRequestLoaders } from './loaders.ts';
import { projectionChannel, projectionGroupFor, projectionSubscriptions } from './projections.ts';
import { createResolvers } from './resolvers.ts';
import { createSqlObservationStore } from './store-sql.ts';

export const observationMigrations: MigrationSource = {
  name: 'observation',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
};

/**
 * The observation subgraph: lab results as FHIR R4 Observations (JSONB plus indexed columns) with flags,
 * idempotent batches and corrections, served by mercurius (ADR 0007) on Postgres (PGlite embedded), with
 * projections of patients and care relationships fed by their events.
 */
export const observationSubgraph = defineSubgraph({
  name: 'observation',
  engine: 'mercurius',
  port: 4106,
  store: 'postgres',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  migrations: [observationMigrations],
  // The consumed topics too, so the projections can subscribe before their producers ever produced.
  topics: [observationTopic, patientTopic, appointmentTopic, auditTopic],
  settings: observationSettings,
  createStore: createSqlObservationStore,
  createWorkers({ database, transport, logger }) {
    // Projection commits NOTIFY this channel, so a waiting recordLabResults wakes at once on every instance.
    const commits = projectionCommits(database, projectionChannel(database.namespace), logger);
    const projections = createEventConsumer({
      transport,
      inbox: sqlInbox(database),
      groupId: projectionGroupFor(database),
      subscriptions: projectionSubscriptions(database),
      logger: logger.child({ component: 'projections' }),
    });
    return { commits, projections };
  },
  createApi({ store, clock, settings, workers }) {
    const lag = {
      waitMs: settings.PROJECTION_WAIT_MS,
      graceMs: settings.PROJECTION_GRACE_MS,
      consumerReady: () => workers.projections.state() === 'ready',
      signal: workers.commits.signal,
    };
    const domain = createObservationDomain({ store, clock, lag });
    return {
      resolvers: createResolvers(domain),
      context: ({ principal }) => {
        const visible = visibilityOf(principal);
        return { loaders: createRequestLoaders(domain, visible), visible };
      },
      policies: observationPolicies,
      audit: observationAudit,
      exposed: { domain, store },
    };
  },
});

export type ObservationSubgraph = typeof observationSubgraph;
export type { ObservationStore } from './store.ts';
export { createSqlObservationStore } from './store-sql.ts';
