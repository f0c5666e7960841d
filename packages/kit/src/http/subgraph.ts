import type { IncomingHttpHeaders } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import { isTraceparent } from '../events/envelope.ts';
import { apolloRoute, formatGraphQLError } from './graphql.ts';
import { createHttpApp, type HttpApp, healthRoutes } from './server.ts';

/**
 * The caller's W3C trace context, if well-formed: it travels into events, and consumers reject an
 * envelope with a malformed one, so a garbage header is dropped here rather than poisoning the outbox.
 */
export function traceparentOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.traceparent;
  return isTraceparent(value) ? value : undefined;
}

export interface ApolloSubgraphOptions<Context extends BaseContext> {
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<Context>;
  logger: Logger;
  /** Per-request context (DataLoaders, trace context), built from the request headers. */
  context: (headers: IncomingHttpHeaders) => Context;
  /** Readiness of what the subgraph depends on (store, relay, consumers). */
  readiness?: Record<string, () => boolean | Promise<boolean>>;
}

/**
 * A federated subgraph on Apollo Server, served on node:http with /graphql, /health and /ready, and the
 * kit's error formatter. Nothing listens until start().
 */
export function createApolloSubgraph<Context extends BaseContext>(options: ApolloSubgraphOptions<Context>) {
  const apollo = new ApolloServer<Context>({
    // Apollo's resolver map is typed for an unknown context; the caller's is Context.
    schema: buildSubgraphSchema({
      typeDefs: options.typeDefs,
      resolvers: options.resolvers as GraphQLResolverMap<unknown>,
    }),
    formatError: (formatted, error) =>
      formatGraphQLError(formatted, error, (cause) =>
        options.logger.error({ err: cause, path: formatted.path }, 'resolver failed'),
      ),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    logger: options.logger,
    stopOnTerminationSignals: false, // the service's index.ts owns the signals and stops things in order
  });
  let app: HttpApp | undefined;
  return {
    async start(port: number, host?: string): Promise<number> {
      await apollo.start();
      const route = apolloRoute(apollo, async (request) => options.context(request.headers));
      app = createHttpApp({ '/graphql': route, ...healthRoutes(options.readiness ?? {}) }, options.logger);
      return app.listen(port, host);
    },
    async stop(): Promise<void> {
      await app?.close();
      await apollo.stop();
    },
  };
}
