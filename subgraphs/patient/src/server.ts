import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { apolloRoute, createHttpApp, formatGraphQLError, type HttpApp, healthRoutes } from '@hsg/kit/http';
import DataLoader from 'dataloader';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import { createPatientDomain, isPatientId } from './domain.ts';
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
  const apollo = new ApolloServer<PatientContext>({
    // Apollo's resolver map is typed for an unknown context; ours is PatientContext.
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
  }): Promise<PatientContext> => ({
    patientLoader: new DataLoader(async (ids: readonly string[]) => {
      const found = await store.findByIds(ids.filter(isPatientId));
      const byId = new Map<string, Patient>(found.map((patient) => [patient.id, patient]));
      return ids.map((id) => byId.get(id));
    }),
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

export type PatientServer = ReturnType<typeof createServer>;
