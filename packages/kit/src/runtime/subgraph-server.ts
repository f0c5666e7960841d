import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import { type AuditDeclaration, auditPlanOf } from '../audit/declaration.ts';
import { RequestAudit } from '../audit/request-audit.ts';
import { type AuditSink, flushAudit } from '../audit/sink.ts';
import { enforceAccessRules, type Policies } from '../auth/rules.ts';
import { createTokenVerifier, type KeySource } from '../auth/verify.ts';
import { type OperationLimits, subgraphLimitDefaults } from '../graphql/limits.ts';
import {
  createHttpApp,
  defaultMaxBodyBytes,
  type HttpApp,
  healthRoutes,
  type Route,
} from '../http/server.ts';
import { type EngineName, type GraphQLEngine, startEngine } from './engines.ts';
import { type RequestContext, requestContextOf } from './request-context.ts';
import { type InputLimits, withStrictInput } from './strict-input.ts';

export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface SubgraphServerOptions<Context extends RequestContext> {
  engine: EngineName;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<Context>;
  /** The subgraph's own part of the request context (DataLoaders), from the kit's part. */
  context: (request: RequestContext) => Omit<Context, keyof RequestContext>;
  logger: Logger;
  /** Readiness of what the subgraph depends on (outbox relay, consumers). */
  readiness?: Record<string, ReadinessCheck>;
  /** Request bodies above this are refused with 413 (default 1 MB; no operation of this graph comes near it). */
  maxBodyBytes?: number;
  /** Bounds on every argument's strings and lists (defaults: 1000 characters, 100 items). */
  inputLimits?: InputLimits;
  /** On stop, how long /ready answers 503 before the server stops accepting (default 0). */
  drainDelayMs?: number;
  /** HTTP routes beside /graphql, /health and /ready. */
  routes?: Route[];
  /** Where the access tokens' keys come from: every request's principal is verified here. */
  auth: KeySource;
  /** The named row-level rules its schema's `@policy` directives refer to. */
  policies?: Policies<Context>;
  /** Operation limits for callers that skip the router (defaults: subgraphLimitDefaults). */
  operationLimits?: Partial<OperationLimits>;
  /** What it audits and where the records go (ADR 0017): written before each answer leaves. */
  audit?: AuditDeclaration<Context> & { subgraph: string; sink: AuditSink };
}

export interface SubgraphServer {
  /** Starts the engine and listens; resolves to the port bound (0 = any free port). */
  start(port: number, host?: string): Promise<number>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then releases the engine. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A federated subgraph on either engine, on the kit's HTTP app: /graphql, /health and /ready, the kit's
 * error formatting, one body limit and one graceful stop. Nothing listens until start().
 */
export function createSubgraphServer<Context extends RequestContext>(
  options: SubgraphServerOptions<Context>,
): SubgraphServer {
  // Apollo's resolver map is typed for an unknown context; the caller's is Context.
  const built = buildSubgraphSchema({
    typeDefs: options.typeDefs,
    resolvers: withStrictInput(options.resolvers, options.inputLimits) as GraphQLResolverMap<unknown>,
  });
  const { audit } = options;
  const schema = enforceAccessRules(
    built,
    options.policies as Policies<RequestContext>,
    audit && auditPlanOf(built, audit as AuditDeclaration<never>),
  );
  const verifier = createTokenVerifier(options.auth);
  const auditOf = (base: RequestContext) =>
    audit && base.principal
      ? new RequestAudit({
          subgraph: audit.subgraph,
          principal: base.principal,
          event: audit.event,
          traceparent: base.traceparent,
        })
      : undefined;
  let engine: GraphQLEngine | undefined;
  let app: HttpApp | undefined;
  return {
    async start(port, host = '127.0.0.1') {
      engine = await startEngine(options.engine, {
        schema,
        logger: options.logger,
        maxBodyBytes: options.maxBodyBytes ?? defaultMaxBodyBytes,
        limits: { ...subgraphLimitDefaults, ...options.operationLimits },
        context: async (request) => {
          const base = await requestContextOf(request.headers, verifier);
          const requestAudit = auditOf(base);
          if (requestAudit) base.audit = requestAudit;
          return { ...options.context(base), ...base } as Context;
        },
        ...(audit
          ? { beforeSend: (context: Context) => flushAudit(context.audit, audit.sink, options.logger) }
          : {}),
      });
      app = createHttpApp(
        { '/graphql': engine.handle, ...healthRoutes(options.readiness ?? {}) },
        options.logger,
        {
          ...(options.drainDelayMs === undefined ? {} : { drainDelayMs: options.drainDelayMs }),
          ...(options.routes ? { routes: options.routes } : {}),
        },
      );
      return app.listen(port, host);
    },
    async stop(graceMs) {
      await app?.close(graceMs);
      await engine?.stop();
    },
  };
}
