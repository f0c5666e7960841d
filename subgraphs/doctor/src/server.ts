import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { isUuid } from '@hsg/kit';
import { healthRoutes, traceparentOf } from '@hsg/kit/http';
import DataLoader from 'dataloader';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { parse } from 'graphql';
import mercurius from 'mercurius';
import type { Logger } from 'pino';
import { createDoctorDomain } from './domain.ts';
import { formatExecution } from './graphql-errors.ts';
import type { Doctor } from './model.ts';
import { createResolvers, type DoctorContext } from './resolvers.ts';
import type { DoctorStore } from './store.ts';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface DoctorServerDeps {
  store: DoctorStore;
  logger: Logger;
  /** Readiness of what the server depends on (store, relay). */
  readiness?: Record<string, () => boolean | Promise<boolean>>;
  clock?: () => Date;
}

/** Builds the doctor subgraph (mercurius on fastify); no side effects until start() is called. */
export function createServer({ store, logger, readiness = {}, clock }: DoctorServerDeps) {
  const domain = createDoctorDomain(store, clock);
  // Apollo's resolver map is typed for an unknown context; ours is DoctorContext.
  const schema = buildSubgraphSchema({
    typeDefs,
    resolvers: createResolvers(domain) as GraphQLResolverMap<unknown>,
  });
  const context = (request: FastifyRequest): DoctorContext => {
    return {
      doctorLoader: new DataLoader(async (ids: readonly string[]) => {
        const found = await store.findByIds(ids.filter(isUuid));
        const byId = new Map<string, Doctor>(found.map((doctor) => [doctor.id, doctor]));
        return ids.map((id) => byId.get(id));
      }),
      traceparent: traceparentOf(request.headers),
    };
  };

  let app: FastifyInstance | undefined;
  return {
    domain,
    async start(port: number, host = '127.0.0.1'): Promise<number> {
      const instance = Fastify({
        loggerInstance: logger as FastifyBaseLogger,
        logController: new LogController({ disableRequestLogging: true }), // errors are logged, not requests
        keepAliveTimeout: 65_000,
      });
      app = instance;
      // Plain JSON: mercurius' response schema would turn the numeric indexes of error paths into strings,
      // and the gateway needs them as numbers to place an entity's error.
      instance.setReplySerializer((payload) => JSON.stringify(payload));
      await instance.register(mercurius, {
        schema,
        context,
        errorFormatter: (execution) => formatExecution(execution, logger),
        graphiql: false,
        // As Apollo Server does: a browser's simple GET or form POST cannot run an operation.
        csrfPrevention: { requiredHeaders: ['x-apollo-operation-name', 'apollo-require-preflight'] },
      });
      // The kit's handlers, so /health and /ready answer exactly like the other services.
      for (const [path, handler] of Object.entries(healthRoutes(readiness))) {
        instance.get(path, async (request, reply) => {
          reply.hijack();
          await handler(request.raw, reply.raw);
        });
      }
      await instance.listen({ port, host });
      const address = instance.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    /** Stops accepting, lets in-flight requests finish (up to 5 s), then closes keep-alive sockets. */
    async stop(): Promise<void> {
      if (!app) return;
      const server = app.server;
      const force = setTimeout(() => server.closeAllConnections(), 5000);
      await app.close();
      clearTimeout(force);
    },
  };
}

export type DoctorServer = ReturnType<typeof createServer>;
