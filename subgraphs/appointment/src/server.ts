import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { apolloRoute, createHttpApp, formatGraphQLError, type HttpApp, healthRoutes } from '@hsg/kit/http';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import { createAppointmentDomain } from './domain.ts';
import { createRequestLoaders } from './loaders.ts';
import { createProjectionSignal, type ProjectionLagPolicy } from './projection-lag.ts';
import { type AppointmentContext, createResolvers } from './resolvers.ts';
import type { AppointmentStore } from './store.ts';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface AppointmentServerDeps {
  store: AppointmentStore;
  logger: Logger;
  /** How bookings treat parties missing from the projections (defaults: 2 s wait, 5 min grace, polling). */
  lag?: Partial<ProjectionLagPolicy>;
  /** Readiness of what the server depends on (relay, consumer). */
  readiness?: Record<string, () => boolean | Promise<boolean>>;
  clock?: () => Date;
}

/** Builds the appointment subgraph's HTTP app; no side effects until start() is called. */
export function createServer({ store, logger, lag = {}, readiness = {}, clock }: AppointmentServerDeps) {
  const domain = createAppointmentDomain({
    store,
    clock,
    lag: {
      waitMs: 2000,
      graceMs: 5 * 60_000,
      consumerReady: () => true,
      signal: createProjectionSignal(),
      ...lag,
    },
  });
  const apollo = new ApolloServer<AppointmentContext>({
    // Apollo's resolver map is typed for an unknown context; ours is AppointmentContext.
    schema: buildSubgraphSchema({
      typeDefs,
      resolvers: createResolvers(domain) as GraphQLResolverMap<unknown>,
    }),
    formatError: formatGraphQLError,
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    logger,
    stopOnTerminationSignals: false, // index.ts owns the signals and stops things in order
  });
  const context = async (request: {
    headers: Record<string, string | string[] | undefined>;
  }): Promise<AppointmentContext> => ({
    loaders: createRequestLoaders(domain),
    traceparent: typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined,
  });
  let app: HttpApp | undefined;
  return {
    domain,
    async start(port: number, host?: string): Promise<number> {
      await apollo.start();
      app = createHttpApp({ '/graphql': apolloRoute(apollo, context), ...healthRoutes(readiness) }, logger);
      return app.listen(port, host);
    },
    async stop(): Promise<void> {
      await app?.close();
      await apollo.stop();
    },
  };
}

export type AppointmentServer = ReturnType<typeof createServer>;
