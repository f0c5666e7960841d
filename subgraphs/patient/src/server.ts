import { readFileSync } from 'node:fs';
import { isUuid } from '@hsg/kit';
import { createApolloSubgraph, traceparentOf } from '@hsg/kit/http';
import DataLoader from 'dataloader';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import { createPatientDomain } from './domain.ts';
import type { Patient } from './model.ts';
import { createResolvers, type PatientContext } from './resolvers.ts';
import type { PatientStore } from './store.ts';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface PatientServerDeps {
  store: PatientStore;
  logger: Logger;
  /** Readiness of what the server depends on (store, relay). */
  readiness?: Record<string, () => boolean | Promise<boolean>>;
  clock?: () => Date;
}

/** Builds the patient subgraph's HTTP app; no side effects until start() is called. */
export function createServer({ store, logger, readiness = {}, clock }: PatientServerDeps) {
  const domain = createPatientDomain(store, clock);
  const subgraph = createApolloSubgraph<PatientContext>({
    typeDefs,
    resolvers: createResolvers(domain),
    logger,
    readiness,
    context: (headers) => ({
      patientLoader: new DataLoader(async (ids: readonly string[]) => {
        const found = await store.findByIds(ids.filter(isUuid));
        const byId = new Map<string, Patient>(found.map((patient) => [patient.id, patient]));
        return ids.map((id) => byId.get(id));
      }),
      traceparent: traceparentOf(headers),
    }),
  });
  return { domain, start: subgraph.start, stop: subgraph.stop };
}

export type PatientServer = ReturnType<typeof createServer>;
