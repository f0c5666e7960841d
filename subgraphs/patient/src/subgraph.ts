import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { patientTopic } from '@hsg/contracts';
import { defineSubgraph, entityLoader } from '@hsg/kit/runtime';
import type { MigrationSource } from '@hsg/kit/sql';
import { parse } from 'graphql';
import { createPatientDomain } from './domain.ts';
import { patientSettings } from './env.ts';
import { createResolvers } from './resolvers.ts';
import { createSqlPatientStore } from './store-sql.ts';

export const patientMigrations: MigrationSource = {
  name: 'patient',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
};

/** The patient subgraph: registration, demographics and search, on Postgres (PGlite when embedded). */
export const patientSubgraph = defineSubgraph({
  name: 'patient',
  engine: 'apollo',
  port: 4101,
  store: 'postgres',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  migrations: [patientMigrations],
  topics: [patientTopic],
  settings: patientSettings,
  createStore: createSqlPatientStore,
  createApi({ store, clock }) {
    const domain = createPatientDomain(store, clock);
    return {
      resolvers: createResolvers(domain),
      context: () => ({ patientLoader: entityLoader((ids) => store.findByIds(ids)) }),
      exposed: { domain, store },
    };
  },
});

export type PatientSubgraph = typeof patientSubgraph;
export type { PatientStore } from './store.ts';
export { createSqlPatientStore } from './store-sql.ts';
