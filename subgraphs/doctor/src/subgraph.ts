import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { doctorTopic } from '@hsg/contracts';
import { defineSubgraph, entityLoader } from '@hsg/kit/runtime';
import type { MigrationSource } from '@hsg/kit/sql';
import { parse } from 'graphql';
import { createDoctorDomain } from './domain.ts';
import { doctorSettings } from './env.ts';
import { createResolvers } from './resolvers.ts';
import { createSqlDoctorStore } from './store-sql.ts';

const migrationsDir = (dialect: string) =>
  fileURLToPath(new URL(`../migrations/${dialect}`, import.meta.url));

/** MySQL and Postgres DDL differ; the queries running on them do not. */
export const doctorMigrations: MigrationSource = {
  name: 'doctor',
  dir: { postgres: migrationsDir('postgres'), mysql: migrationsDir('mysql') },
};

/**
 * The doctor subgraph: doctors, specialties, working hours and fees, served by mercurius (ADR 0007), on
 * MariaDB/MySQL in real mode and PGlite when embedded.
 */
export const doctorSubgraph = defineSubgraph({
  name: 'doctor',
  engine: 'mercurius',
  port: 4102,
  store: 'mysql',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  migrations: [doctorMigrations],
  topics: [doctorTopic],
  settings: doctorSettings,
  createStore: createSqlDoctorStore,
  createApi({ store, clock }) {
    const domain = createDoctorDomain(store, clock);
    return {
      resolvers: createResolvers(domain),
      context: () => ({ doctorLoader: entityLoader((ids) => store.findByIds(ids)) }),
      exposed: { domain, store },
    };
  },
});

export type DoctorSubgraph = typeof doctorSubgraph;
export type { DoctorStore } from './store.ts';
export { createSqlDoctorStore } from './store-sql.ts';
