import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { appointmentTopic, auditTopic, patientTopic } from '@hsg/contracts';
import { defineSubgraph, entityLoader } from '@hsg/kit/runtime';
import type { MigrationSource } from '@hsg/kit/sql';
import { parse } from 'graphql';
import { careLoader, patientAudit, patientPolicies } from './access.ts';
import { createCareRelationshipsProjection } from './care-relationships.ts';
import { createPatientDomain } from './domain.ts';
import { patientSettings } from './env.ts';
import { createResolvers } from './resolvers.ts';
import { createSqlPatientStore } from './store-sql.ts';

export const patientMigrations: MigrationSource = {
  name: 'patient',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
};

/**
 * The patient subgraph: registration, demographics and search, on Postgres (PGlite when embedded), with
 * who may see whom (access.ts) and a projection of the appointment events for the clinicians' rule.
 */
export const patientSubgraph = defineSubgraph({
  name: 'patient',
  engine: 'apollo',
  port: 4101,
  store: 'postgres',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  migrations: [patientMigrations],
  // The consumed topic too, so the projection can subscribe before appointment ever produced.
  topics: [patientTopic, appointmentTopic, auditTopic],
  settings: patientSettings,
  createStore: createSqlPatientStore,
  createWorkers({ database, transport, logger }) {
    const careRelationships = createCareRelationshipsProjection({
      database,
      transport,
      logger: logger.child({ component: 'care-relationships' }),
    });
    return { careRelationships };
  },
  createApi({ store, clock }) {
    const domain = createPatientDomain(store, clock);
    return {
      resolvers: createResolvers(domain),
      context: ({ principal }) => ({
        patientLoader: entityLoader((ids) => store.findByIds(ids)),
        caresFor: careLoader(store, principal),
      }),
      policies: patientPolicies,
      audit: patientAudit,
      exposed: { domain, store },
    };
  },
});

export type PatientSubgraph = typeof patientSubgraph;
export type { PatientStore } from './store.ts';
export { createSqlPatientStore } from './store-sql.ts';
