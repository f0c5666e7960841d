import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { Logger } from '@hsg/kit';
import { createTokenVerifier } from '@hsg/kit/auth';
import type { EventTransport } from '@hsg/kit/events';
import {
  type OperationLimits,
  parseOptionsFor,
  routerLimitDefaults,
  shapeLimitRules,
} from '@hsg/kit/graphql';
import { createHttpApp, formatGraphQLError, type HttpApp } from '@hsg/kit/http';
import { withSecurityEnforcedBySubgraphs } from '@hsg/schema';
import { type DocumentNode, type FormattedExecutionResult, GraphQLError, type GraphQLSchema } from 'graphql';
import {
  type ContextContributor,
  createContextBuilder,
  normalizeHeaders,
  type RouterContext,
} from './context.ts';
import { SubgraphDataSource } from './data-source.ts';
import { type AuthOptions, createAuthFeature } from './features/auth.ts';
import { createCorsFeature } from './features/cors.ts';
import { createDocumentsFeature } from './features/documents.ts';
import type { Execute, FeatureHost, FeatureLifecycle, RouterFeature } from './features/feature.ts';
import { createGraphQLHttpFeature } from './features/graphql-http.ts';
import { createHealthFeature } from './features/health.ts';
import { createSubscriptionsFeature, type LiveStats } from './features/live/subscriptions.ts';
import { createSubgraphTransport } from './fetcher.ts';
import { operationLimitsPlugin } from './limits.ts';
import { subgraphReadiness } from './readiness.ts';
import { resolveSubgraphUrls, type SubgraphEndpoint, subgraphsOf } from './subgraphs.ts';

export type { ContextContributor, ContextInput, RouterContext } from './context.ts';
export { type AuthOptions, createAuthFeature } from './features/auth.ts';
export { type CorsOptions, createCorsFeature } from './features/cors.ts';
export { createDocumentsFeature, type DocumentsOptions } from './features/documents.ts';
export type { Execute, FeatureHost, FeatureLifecycle, RouterFeature } from './features/feature.ts';
export { createGraphQLHttpFeature, type GraphQLHttpOptions } from './features/graphql-http.ts';
export { createHealthFeature, type HealthOptions } from './features/health.ts';
export { liveFields } from './features/live/fields.ts';
export {
  createSubscriptionsFeature,
  type LiveStats,
  liveCloseCodes,
  type SubscriptionsOptions,
} from './features/live/subscriptions.ts';
export type { SubgraphEndpoint } from './subgraphs.ts';

/**
 * No operation of this graph comes near 256 KiB (a lab's batch of results is tens of KiB); a bigger body
 * is refused before it is read, so a client sending huge documents costs the router next to nothing.
 */
export const routerMaxBodyBytes = 262_144;

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
  /** Request bodies over this answer 413 (PAYLOAD_TOO_LARGE), refused on Content-Length unread (256 KiB). */
  maxBodyBytes?: number;
  /** On stop, how long /ready answers 503 before the router stops accepting (default 0). */
  drainDelayMs?: number;
  /** Browser origins allowed by CORS (default none: CORS off). */
  corsOrigins?: readonly string[];
  /**
   * Login and token checks. Default: on whenever the supergraph has the identity subgraph (its URL gives
   * the origin); 'off' only for tests of other features over subgraphs of their own.
   */
  auth?: Omit<AuthOptions, 'anonymousIntrospection'> | 'off';
  /** Operation limits, checked before planning (defaults: routerLimitDefaults). */
  limits?: Partial<OperationLimits>;
  /**
   * The domain events (Kafka, or the embedded log): with them, subscriptions over graphql-ws on /graphql,
   * tokens checked against identity's JWKS whenever the supergraph has identity.
   */
  events?: EventTransport;
  /** Features beyond the built-in GraphQL over HTTP and health, set up after them in this order. */
  features?: RouterFeature[];
}

export interface Router {
  app: HttpApp;
  /** The subgraphs routed to, with overrides applied. */
  subgraphs: SubgraphEndpoint[];
  /** Runs an operation through the gateway with a caller's headers (see FeatureHost.execute). */
  execute: Execute;
  /** Live subscriptions' connections, subscribers and event consumers (zeros without `events`). */
  liveStats(): LiveStats;
  /** Loads the gateway, starts the features, then listens; resolves to the port bound (0 = any free port). */
  start(port: number, host?: string): Promise<number>;
  /**
   * Stops accepting, drains in-flight requests (up to graceMs) while the features stop, then stops the
   * gateway and its sockets.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The router: Apollo Server over an Apollo Gateway with a static supergraph, on the kit's HTTP app, made of
 * features: GraphQL over HTTP and health first, then the caller's. Builds everything and touches nothing
 * (no sockets, no timers) until start().
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
  maxBodyBytes = routerMaxBodyBytes,
  drainDelayMs = 0,
  corsOrigins = [],
  auth,
  limits: limitOverrides = {},
  events,
  features = [],
}: RouterDeps): Router {
  const limits = { ...routerLimitDefaults, ...limitOverrides };
  const subgraphs = resolveSubgraphUrls(subgraphsOf(supergraphSdl), subgraphUrls);
  const urlByName = new Map(subgraphs.map((subgraph) => [subgraph.name, subgraph.url]));
  const transport = createSubgraphTransport({
    maxSocketsPerOrigin: maxSocketsPerSubgraph,
    timeoutMs: subgraphTimeoutMs,
  });
  // Probes get their own small pool: a pool saturated by traffic must not read as "subgraph down".
  const probeTransport = createSubgraphTransport({ maxSocketsPerOrigin: 1, timeoutMs: subgraphTimeoutMs });

  const gateway = withoutGatewayTelemetry(
    () =>
      new ApolloGateway({
        supergraphSdl: withSecurityEnforcedBySubgraphs(supergraphSdl),
        logger: logger.child({ component: 'gateway' }),
        buildService: ({ name, url }) =>
          new SubgraphDataSource({ name, url: urlByName.get(name) ?? url ?? '', transport, logger }),
        // Query plans are reused across requests with the same operation; 30 MiB holds thousands of them.
        experimental_approximateQueryPlanStoreMiB: queryPlanCacheMiB,
        __exposeQueryPlanExperimental: !production,
      }),
  );

  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => {
    apiSchema = loaded;
  });

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    logger: logger.child({ component: 'apollo' }),
    formatError: formatGraphQLError,
    nodeEnv: production ? 'production' : 'development',
    introspection: !production,
    // No "Did you mean …?" in production: suggestions map out the schema for whoever probes it.
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    parseOptions: parseOptionsFor(limits),
    validationRules: shapeLimitRules(limits),
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
      operationLimitsPlugin(limits),
      logUnexpectedErrors(logger),
    ],
  });

  const app = createHttpApp([], logger, { drainDelayMs });
  const contributors: ContextContributor[] = [];
  const buildContext = createContextBuilder(contributors);
  const contextFor = (headers: IncomingHttpHeaders, request?: IncomingMessage) =>
    buildContext({ headers, request });

  const execute: Execute = async <Data>(
    operation: string | DocumentNode,
    variables: Record<string, unknown> = {},
    headers: Record<string, string | undefined> = {},
  ) => {
    const normalized = normalizeHeaders(headers);
    const http = new HeaderMap();
    for (const [name, value] of Object.entries(normalized))
      if (typeof value === 'string') http.set(name, value);
    const response = await apollo.executeOperation(
      {
        query: operation,
        variables,
        http: { method: 'POST', headers: http, search: '', body: undefined },
      },
      { contextValue: await contextFor(normalized) },
    );
    if (response.body.kind !== 'single')
      throw new Error('execute() takes operations without @defer or @stream');
    return response.body.singleResult as FormattedExecutionResult<Data>;
  };

  let settingUp = true;
  const host: FeatureHost = {
    logger,
    production,
    subgraphs,
    route: (route) => app.route(route),
    upgrade: (upgrade) => app.upgrade(upgrade),
    hook: (hook) => app.hook(hook),
    plugin(plugin) {
      if (!settingUp) throw new Error('Apollo plugins can only be added while features set up');
      apollo.addPlugin(plugin);
    },
    context(contributor) {
      contributors.push(contributor);
    },
    contextFor,
    execute,
    apiSchema() {
      if (!apiSchema) throw new Error('the API schema is there once the router has started');
      return apiSchema;
    },
    apollo,
  };
  const live = events ? subscriptionsFeature(events, subgraphs, auth) : undefined;
  const lifecycles: Array<FeatureLifecycle & { name: string }> = [];
  for (const feature of [
    createCorsFeature({ origins: corsOrigins }),
    createGraphQLHttpFeature({ maxBodyBytes }),
    createHealthFeature({ checks: subgraphReadiness(subgraphs, probeTransport, readiness) }),
    ...authFeature(auth, subgraphs, production),
    ...documentsFeature(subgraphs),
    ...(live ? [live] : []),
    ...features,
  ]) {
    const lifecycle = feature.setup(host);
    if (lifecycle) lifecycles.push({ name: feature.name, ...lifecycle });
  }
  settingUp = false;

  return {
    app,
    subgraphs,
    execute,
    liveStats: () => live?.stats() ?? { connections: 0, subscribers: 0, consumers: 0 },
    async start(port, hostname = '127.0.0.1') {
      await apollo.start();
      for (const lifecycle of lifecycles) await lifecycle.start?.();
      return app.listen(port, hostname);
    },
    async stop(graceMs) {
      await Promise.all([
        app.close(graceMs),
        ...lifecycles.toReversed().map(async (lifecycle) => {
          try {
            await lifecycle.stop?.();
          } catch (error) {
            logger.warn({ err: error, feature: lifecycle.name }, 'feature failed to stop');
          }
        }),
      ]);
      await apollo.stop();
      await Promise.all([transport.close(), probeTransport.close()]);
    },
  };
}

function authFeature(
  auth: RouterDeps['auth'],
  subgraphs: readonly SubgraphEndpoint[],
  production: boolean,
): RouterFeature[] {
  if (auth === 'off') return [];
  const identity = subgraphs.find((subgraph) => subgraph.name === 'identity');
  const options = auth ?? (identity ? { identityOrigin: new URL(identity.url).origin } : undefined);
  if (options === undefined) return [];
  return [createAuthFeature({ ...options, anonymousIntrospection: !production })];
}

/** Subscriptions, with tokens checked like every other operation's whenever there is auth. */
function subscriptionsFeature(
  transport: EventTransport,
  subgraphs: readonly SubgraphEndpoint[],
  auth: RouterDeps['auth'],
) {
  const identity = subgraphs.find((subgraph) => subgraph.name === 'identity');
  const origin = auth && auth !== 'off' ? auth.identityOrigin : identity && new URL(identity.url).origin;
  const jwksUrl = auth && auth !== 'off' && auth.jwksUrl ? auth.jwksUrl : `${origin}/.well-known/jwks.json`;
  return createSubscriptionsFeature({
    transport,
    ...(auth !== 'off' && origin ? { verifier: createTokenVerifier({ jwksUrl }) } : {}),
  });
}

/** Invoice PDFs on the router's origin, whenever the supergraph has the billing subgraph. */
function documentsFeature(subgraphs: readonly SubgraphEndpoint[]): RouterFeature[] {
  const billing = subgraphs.find((subgraph) => subgraph.name === 'billing');
  return billing ? [createDocumentsFeature({ billingOrigin: new URL(billing.url).origin })] : [];
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
