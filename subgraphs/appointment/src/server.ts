import { readFileSync } from 'node:fs';
import { createApolloSubgraph, traceparentOf } from '@hsg/kit/http';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import { createAppointmentDomain } from './domain.ts';
import { createRequestLoaders } from './loaders.ts';
import type { ProjectionLagPolicy } from './projection-lag.ts';
import { type AppointmentContext, createResolvers } from './resolvers.ts';
import type { AppointmentStore } from './store.ts';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface AppointmentServerDeps {
  store: AppointmentStore;
  logger: Logger;
  /** How bookings treat parties missing from the projections. */
  lag: ProjectionLagPolicy;
  /** Readiness of what the server depends on (relay, consumer). */
  readiness?: Record<string, () => boolean | Promise<boolean>>;
  clock?: () => Date;
}

/** Builds the appointment subgraph's HTTP app; no side effects until start() is called. */
export function createServer({ store, logger, lag, readiness = {}, clock }: AppointmentServerDeps) {
  const domain = createAppointmentDomain({ store, clock, lag });
  const subgraph = createApolloSubgraph<AppointmentContext>({
    typeDefs,
    resolvers: createResolvers(domain),
    logger,
    readiness,
    context: (headers) => ({ loaders: createRequestLoaders(domain), traceparent: traceparentOf(headers) }),
  });
  return { domain, start: subgraph.start, stop: subgraph.stop };
}
