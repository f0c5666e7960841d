import { randomUUID } from 'node:crypto';
import type { Principal, TokenVerifier } from '@hsg/kit/auth';
import { bearerTokenOf } from '@hsg/kit/auth';
import type { CloudEvent, EventTransport } from '@hsg/kit/events';
import { parseOptionsFor, routerLimitDefaults, shapeLimitRules } from '@hsg/kit/graphql';
import { sendJson } from '@hsg/kit/http';
import {
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { CloseCode, type Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { type WebSocket, WebSocketServer } from 'ws';
import type { FeatureHost, RouterFeature } from '../feature.ts';
import { createEventFeed } from './event-feed.ts';
import { type EventFacts, type LiveField, liveFields } from './fields.ts';
import { createPushQueue } from './push-queue.ts';
import { entityIdVariable, planSubscription, type ResolutionPlan } from './resolution.ts';

export interface SubscriptionsOptions {
  /** Where the domain events are read: Kafka in real mode, the embedded log in `npm start`. */
  transport: EventTransport;
  /** Checks the token at connection_init; without one (tests of other features), connections are anonymous. */
  verifier?: TokenVerifier;
  /** The same path as GraphQL over HTTP. */
  path?: string;
  /** Default: unique to this router instance. */
  groupId?: string;
  /** Keep-alive ping interval (graphql-ws over ws pings and expects pongs). */
  keepAliveMs?: number;
  /** A subscriber this many results behind is ended (a client that stopped reading). */
  maxQueued?: number;
  maxConnections?: number;
  fields?: readonly LiveField[];
}

/** Close codes a client can act on (graphql-ws's, plus the meaning we give them). */
export const liveCloseCodes = {
  /** No token, a bad one, or it expired: log in (or refresh) and connect again. */
  unauthorized: CloseCode.Unauthorized,
  /** The router is stopping: connect again (another instance will answer). */
  goingAway: 1001,
  /** The client fell too far behind. */
  tooSlow: 4429,
} as const;

export interface LiveStats {
  connections: number;
  subscribers: number;
  consumers: number;
}

export interface SubscriptionsFeature extends RouterFeature {
  stats(): LiveStats;
}

interface Connection {
  socket: WebSocket;
  principal: Principal | undefined;
  authorization: string | undefined;
  expiry?: NodeJS.Timeout;
}

interface Subscriber {
  plan: ResolutionPlan;
  connection: Connection;
  /** Subscribers with the same key share one resolution per event. */
  shareKey: string;
  push(result: ExecutionResult): void;
}

type LiveExtra = { live?: Connection };

/**
 * GraphQL subscriptions on /graphql over graphql-ws (ADR 0025). @apollo/gateway cannot execute them, so
 * the router follows the domain events itself and answers each subscriber's selection with a query
 * through the gateway carrying that subscriber's token: the subgraphs decide, per subscriber, what they
 * may see (an entity they may not see is not delivered). Queries and mutations over the socket go
 * through the gateway too.
 */
export function createSubscriptionsFeature(options: SubscriptionsOptions): SubscriptionsFeature {
  const fields = options.fields ?? liveFields;
  const path = options.path ?? '/graphql';
  const maxQueued = options.maxQueued ?? 256;
  const maxConnections = options.maxConnections ?? 10_000;
  const subscribers = new Map<LiveField, Set<Subscriber>>(fields.map((field) => [field, new Set()]));
  const connections = new Set<Connection>();
  const readers = new Map<string, { field: LiveField; read: (event: CloudEvent) => EventFacts }>();
  for (const field of fields)
    for (const [type, read] of Object.entries(field.events)) readers.set(type, { field, read });
  let feed: ReturnType<typeof createEventFeed> | undefined;

  const stats = (): LiveStats => ({
    connections: connections.size,
    subscribers: [...subscribers.values()].reduce((sum, set) => sum + set.size, 0),
    consumers: feed?.consumers() ?? 0,
  });

  return {
    name: 'subscriptions',
    stats,
    setup(host) {
      const { logger } = host;
      const wss = new WebSocketServer({ noServer: true, maxPayload: 262_144 });
      // Counts only (no one's data): how many are connected and subscribed, for operators and tests.
      host.route({
        method: 'GET',
        path: '/live',
        handler: (_request, response) => sendJson(response, 200, stats()),
      });
      host.upgrade({
        path,
        handler(request, socket, head) {
          if (wss.clients.size >= maxConnections) {
            socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
            return;
          }
          wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
        },
      });
      feed = createEventFeed({
        transport: options.transport,
        topics: [...new Set(fields.map((field) => field.topic))],
        groupId: options.groupId ?? `router.live.${randomUUID()}`,
        logger,
      });
      let server: ReturnType<typeof useServer> | undefined;

      const dispatch = async (event: CloudEvent) => {
        const reader = readers.get(event.type);
        if (!reader) return;
        const facts = reader.read(event);
        const groups = new Map<string, Subscriber[]>();
        for (const subscriber of subscribers.get(reader.field) ?? []) {
          if (!reader.field.matches(subscriber.plan.args, facts)) continue;
          if (!mayConcern(subscriber.connection.principal, facts)) continue;
          const group = groups.get(subscriber.shareKey) ?? [];
          groups.set(subscriber.shareKey, group);
          group.push(subscriber);
        }
        await forEachLimited([...groups.values()], 16, (group) => resolveFor(host, group, facts, event));
      };

      return {
        async start() {
          const schema = host.apiSchema();
          const rules = [...specifiedRules, ...shapeLimitRules(routerLimitDefaults)];
          server = useServer<Record<string, unknown> | undefined, LiveExtra>(
            {
              schema,
              isProd: host.production,
              async onConnect(ctx) {
                const connection = await connect(ctx, options.verifier);
                if (!connection) return false;
                // Gone while its token was checked: onClose has run already, so it must not be counted.
                if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) {
                  clearTimeout(connection.expiry);
                  return false;
                }
                ctx.extra.live = connection;
                connections.add(connection);
                return true;
              },
              onClose(ctx) {
                const connection = ctx.extra.live;
                if (!connection) return;
                clearTimeout(connection.expiry);
                connections.delete(connection);
              },
              onSubscribe(ctx, _id, payload) {
                const connection = ctx.extra.live as Connection;
                let document: ReturnType<typeof parse>;
                try {
                  document = parse(payload.query, parseOptionsFor(routerLimitDefaults));
                } catch (error) {
                  return [error instanceof GraphQLError ? error : new GraphQLError('Syntax error')];
                }
                const errors = validate(schema, document, rules);
                if (errors.length > 0) return errors;
                const variableValues = payload.variables ?? {};
                const args: ExecutionArgs = {
                  schema,
                  document,
                  operationName: payload.operationName ?? null,
                  variableValues,
                };
                const operation = getOperationAST(document, payload.operationName);
                if (operation?.operation !== 'subscription') return { ...args, contextValue: { connection } };
                try {
                  const plan = planSubscription(
                    schema,
                    document,
                    payload.operationName,
                    variableValues,
                    fields,
                  );
                  return { ...args, contextValue: { connection, plan } };
                } catch (error) {
                  return [error instanceof GraphQLError ? error : new GraphQLError('Invalid subscription')];
                }
              },
              async execute(args) {
                const { connection } = args.contextValue as { connection: Connection };
                return (await host.execute(
                  args.document,
                  (args.variableValues ?? {}) as Record<string, unknown>,
                  { authorization: connection.authorization },
                )) as ExecutionResult;
              },
              subscribe(args) {
                const { connection, plan } = args.contextValue as {
                  connection: Connection;
                  plan: ResolutionPlan;
                };
                return subscribe(connection, plan);
              },
            },
            wss,
            options.keepAliveMs ?? 12_000,
          );
          await feed?.start(dispatch);
        },
        async stop() {
          for (const client of wss.clients) client.close(liveCloseCodes.goingAway, 'The router is stopping');
          await server?.dispose();
          await feed?.stop();
          for (const client of wss.clients) client.terminate();
        },
      };

      function subscribe(connection: Connection, plan: ResolutionPlan): AsyncIterable<ExecutionResult> {
        const set = subscribers.get(plan.field) as Set<Subscriber>;
        const queue = createPushQueue<ExecutionResult>(() => set.delete(subscriber));
        const subscriber: Subscriber = {
          plan,
          connection,
          shareKey: [
            plan.query,
            JSON.stringify(plan.variables),
            JSON.stringify(plan.args),
            connection.principal?.userId ?? '',
          ].join('\u0000'),
          push(result) {
            if (queue.queued >= maxQueued) {
              connection.socket.close(liveCloseCodes.tooSlow, 'Too far behind: connect again');
              queue.end();
              return;
            }
            queue.push(result);
          },
        };
        set.add(subscriber);
        return queue;
      }
    },
  };
}

/** The token from connection_init's payload (`authorization` or `Authorization`), else the upgrade's header. */
async function connect(
  ctx: Context<
    Record<string, unknown> | undefined,
    { socket: WebSocket; request: import('node:http').IncomingMessage } & LiveExtra
  >,
  verifier: TokenVerifier | undefined,
): Promise<Connection | undefined> {
  const { socket, request } = ctx.extra;
  const params = ctx.connectionParams ?? {};
  const given = params.authorization ?? params.Authorization ?? request.headers.authorization;
  const authorization = typeof given === 'string' ? given : undefined;
  if (!verifier) return { socket, principal: undefined, authorization };
  const refuse = (reason: string) => {
    socket.close(liveCloseCodes.unauthorized, reason);
    return undefined;
  };
  const token = bearerTokenOf(authorization);
  if (!token)
    return refuse('Unauthorized: send { "authorization": "Bearer <accessToken>" } in connection_init');
  let principal: Principal;
  try {
    principal = await verifier.verify(token);
  } catch (error) {
    return refuse(`Unauthorized: ${(error as Error).message}`);
  }
  const connection: Connection = { socket, principal, authorization };
  const expiresAt = (decodeJwt(token).exp ?? 0) * 1000;
  connection.expiry = setTimeout(
    () => socket.close(liveCloseCodes.unauthorized, 'Unauthorized: the access token expired'),
    Math.max(0, Math.min(expiresAt - Date.now(), 2_147_483_647)),
  );
  return connection;
}

/** A cheap first cut, before the subgraphs decide: a patient's events concern only that patient. */
const mayConcern = (principal: Principal | undefined, facts: EventFacts) =>
  principal?.role !== 'PATIENT' || principal.patientId?.toLowerCase() === facts.patientId.toLowerCase();

/** One resolution for a group of subscribers that share selection, arguments and principal. */
async function resolveFor(host: FeatureHost, group: Subscriber[], facts: EventFacts, event: CloudEvent) {
  const [first] = group as [Subscriber];
  const { plan, connection } = first;
  const result = await host.execute(
    plan.query,
    { ...plan.variables, [entityIdVariable]: facts.entityId },
    { authorization: connection.authorization, traceparent: event.traceparent },
  );
  if (result.errors?.some((error) => error.extensions?.code === 'UNAUTHENTICATED')) {
    for (const { connection: each } of group)
      each.socket.close(liveCloseCodes.unauthorized, 'Unauthorized: the access token is no longer valid');
    return;
  }
  const data = plan.shape(result.data as Record<string, unknown> | null | undefined, facts.answers);
  if (!data) return; // not theirs to see: nothing is delivered
  const errors = result.errors?.filter((error) => !error.path || error.path.length > 1);
  const payload = { data, ...(errors && errors.length > 0 ? { errors } : {}) } as ExecutionResult;
  for (const subscriber of group) subscriber.push(payload);
}

async function forEachLimited<T>(items: T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
