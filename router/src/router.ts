import type { IncomingMessage } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { Logger } from '@hsg/kit';
import { apolloRoute, createHttpApp, formatGraphQLError, type HttpApp, healthRoutes } from '@hsg/kit/http';
import { GraphQLError } from 'graphql';
import { forwardedHeaders, type RouterContext, SubgraphDataSource } from './data-source.ts';
import { createSubgraphFetcher } from './fetcher.ts';
import { subgraphReadiness } from './readiness.ts';
import { resolveSubgraphUrls, type SubgraphEndpoint, subgraphsOf } from './subgraphs.ts';

export type { RouterContext } from './data-source.ts';
export type { SubgraphEndpoint } from './subgraphs.ts';

export interface RouterDeps {
  /** The composed supergraph (schema/supergraph.graphql, or one a test composed). */
  supergraphSdl: string;
  logger: Logger;
  /** Subgraph URL by subgraph name, replacing the supergraph's routing URL (other ports, other hosts). */
  subgraphUrls?: Record<string, string>;
  /** Production: no landing page, no introspection. */
  production?: boolean;
  maxSocketsPerSubgraph?: number;
  subgraphTimeoutMs?: number;
  queryPlanCacheMiB?: number;
  /** /ready probes: per-probe timeout and how long a result is reused. */
  readiness?: { timeoutMs?: number; cacheMs?: number };
}

export interface Router {
  app: HttpApp;
  /** The subgraphs routed to, with overrides applied. */
  subgraphs: SubgraphEndpoint[];
  /** Loads the gateway, then listens; resolves to the port bound (0 = any free port). */
  start(port: number, host?: string): Promise<number>;
  /** Stops accepting, drains in-flight requests (up to graceMs), then stops the gateway and its sockets. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The router: Apollo Server over an Apollo Gateway with a static supergraph, on the kit's HTTP app.
 * Builds everything and touches nothing (no sockets, no timers) until start().
 */
export function createRouter({
  supergraphSdl,
  logger,
  subgraphUrls = {},
  production = false,
  maxSocketsPerSubgraph = 64,
  subgraphTimeoutMs = 30_000,
  queryPlanCacheMiB = 30,
  readiness = {},
}: RouterDeps): Router {
  const subgraphs = resolveSubgraphUrls(subgraphsOf(supergraphSdl), subgraphUrls);
  const urlByName = new Map(subgraphs.map((subgraph) => [subgraph.name, subgraph.url]));
  const subgraphFetcher = createSubgraphFetcher({
    maxSocketsPerOrigin: maxSocketsPerSubgraph,
    timeoutMs: subgraphTimeoutMs,
  });
  // Probes get their own small pool: a pool saturated by traffic must not read as "subgraph down".
  const probeFetcher = createSubgraphFetcher({ maxSocketsPerOrigin: 1, timeoutMs: subgraphTimeoutMs });

  const gateway = withoutGatewayTelemetry(
    () =>
      new ApolloGateway({
        supergraphSdl,
        logger: logger.child({ component: 'gateway' }),
        buildService: ({ name, url }) =>
          new SubgraphDataSource({
            name,
            url: urlByName.get(name) ?? url ?? '',
            fetcher: subgraphFetcher.fetcher,
          }),
        // Query plans are reused across requests with the same operation; 30 MiB holds thousands of them.
        experimental_approximateQueryPlanStoreMiB: queryPlanCacheMiB,
        __exposeQueryPlanExperimental: !production,
      }),
  );

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    logger: logger.child({ component: 'apollo' }),
    formatError: formatGraphQLError,
    nodeEnv: production ? 'production' : 'development',
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    // index.ts owns the signals: it drains the HTTP server before Apollo stops.
    stopOnTerminationSignals: false,
    plugins: [
      // Nothing phones home: no usage or schema reporting even if APOLLO_KEY is set, no ftv1 traces
      // requested from subgraphs (those are only asked for when usage reporting captures traces).
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: { runTelemetry: false }, footer: false }),
      logUnexpectedErrors(logger),
    ],
  });

  const app = createHttpApp(
    {
      '/graphql': apolloRoute(apollo, contextFrom),
      ...healthRoutes(subgraphReadiness(subgraphs, probeFetcher.fetcher, readiness)),
    },
    logger,
  );

  return {
    app,
    subgraphs,
    async start(port, host = '127.0.0.1') {
      await apollo.start();
      return app.listen(port, host);
    },
    async stop(graceMs) {
      await app.close(graceMs);
      await apollo.stop();
      await Promise.all([subgraphFetcher.close(), probeFetcher.close()]);
    },
  };
}

async function contextFrom(request: IncomingMessage): Promise<RouterContext> {
  const context: RouterContext = {};
  for (const name of forwardedHeaders) {
    const value = request.headers[name];
    if (typeof value === 'string') context[name] = value;
  }
  return context;
}

/**
 * @apollo/gateway (2.14 here) starts an OpenTelemetry exporter that sends host metrics to Apollo (and probes
 * cloud metadata endpoints) unless APOLLO_TELEMETRY_DISABLED is set when it is constructed. Set it for
 * the constructor only, so createRouter leaves the process environment as it found it.
 */
function withoutGatewayTelemetry(build: () => ApolloGateway): ApolloGateway {
  const previous = process.env.APOLLO_TELEMETRY_DISABLED;
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  try {
    return build();
  } finally {
    if (previous === undefined) delete process.env.APOLLO_TELEMETRY_DISABLED;
    else process.env.APOLLO_TELEMETRY_DISABLED = previous;
  }
}

/**
 * Subgraphs log their own errors; the router logs what failed in the router itself or on the way to a
 * subgraph (a thrown Error rather than a subgraph's GraphQL error).
 */
function logUnexpectedErrors(logger: Logger): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            const cause = error instanceof GraphQLError ? error.originalError : error;
            if (cause instanceof Error && !(cause instanceof GraphQLError)) {
              logger.warn({ err: cause, operationName }, 'operation failed');
            }
          }
        },
      };
    },
  };
}
