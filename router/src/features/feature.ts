import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@hsg/kit';
import type { RequestHook, Route, UpgradeRoute } from '@hsg/kit/http';
import type { DocumentNode, FormattedExecutionResult, GraphQLSchema } from 'graphql';
import type { ContextContributor, RouterContext } from '../context.ts';
import type { SubgraphEndpoint } from '../subgraphs.ts';

/**
 * Runs one operation through the gateway as if the caller had sent it with these headers: the same context
 * the HTTP path builds (so their authorization and trace context reach the subgraphs), the same plugins and
 * error formatting. Resolves to the formatted result; GraphQL errors are in `errors`, not thrown.
 */
export type Execute = <Data = Record<string, unknown>>(
  operation: string | DocumentNode,
  variables?: Record<string, unknown>,
  headers?: Record<string, string | undefined>,
) => Promise<FormattedExecutionResult<Data>>;

/** What the router offers a feature while it sets itself up. */
export interface FeatureHost {
  readonly logger: Logger;
  readonly production: boolean;
  /** The subgraphs routed to, with URL overrides applied. */
  readonly subgraphs: readonly SubgraphEndpoint[];
  /** Adds an HTTP route: method(s) and a path pattern (`/fhir/Patient/:id`, `/fhir/*`). */
  route(route: Route): void;
  /** Takes HTTP upgrades (WebSocket handshakes) on a path. */
  upgrade(upgrade: UpgradeRoute): void;
  /** Sees every HTTP request before its route (CORS); answers it by returning true. */
  hook(hook: RequestHook): void;
  /** Adds an Apollo Server plugin (only while setting up: plugins are fixed once the server starts). */
  plugin(plugin: ApolloServerPlugin<RouterContext>): void;
  /** Adds fields to every operation's context (HTTP and execute() alike). */
  context(contributor: ContextContributor): void;
  /** The context for a caller's headers, as every operation gets it. */
  contextFor(headers: IncomingHttpHeaders, request?: IncomingMessage): Promise<RouterContext>;
  execute: Execute;
  /** The graph's API schema (what clients see), once the gateway has loaded: from a lifecycle's start() on. */
  apiSchema(): GraphQLSchema;
  /** The gateway's Apollo Server; started before the router listens, usable from request handlers. */
  readonly apollo: ApolloServer<RouterContext>;
}

/** What a feature may hand back from setup: work to do when the router starts and stops. */
export interface FeatureLifecycle {
  /** After the gateway has started, before the router listens. */
  start?(): Promise<void> | void;
  /** While the router drains its HTTP connections: close what the feature holds open (WebSockets, timers). */
  stop?(): Promise<void> | void;
}

/**
 * One capability of the router (GraphQL over HTTP, health, later subscriptions, login, a FHIR facade), in a
 * module of its own: `createXFeature(options)` returns one, and createRouter sets each up in order.
 */
export interface RouterFeature {
  readonly name: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a feature with nothing to start or stop returns nothing
  setup(host: FeatureHost): FeatureLifecycle | void;
}
