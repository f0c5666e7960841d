import type { IncomingMessage } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import mercurius from 'mercurius';
import type { Logger } from 'pino';
import { type OperationLimits, parseOptionsFor, shapeLimitRules } from '../graphql/limits.ts';
import { apolloRoute, formatGraphQLError, refusedResult } from '../http/graphql.ts';
import { PayloadTooLargeError, type RouteHandler } from '../http/server.ts';
import { formatExecution } from './mercurius-errors.ts';

/** The GraphQL engines a subgraph can be served by; both answer alike (codes, statuses, paths). */
export type EngineName = 'apollo' | 'mercurius';

export interface EngineOptions<Context> {
  schema: GraphQLSchema;
  /** The whole per-request context, built from the raw request. */
  context: (request: IncomingMessage) => Promise<Context>;
  logger: Logger;
  /** Largest request body the engine reads. */
  maxBodyBytes: number;
  /** Tokens and shape of an operation (depth, aliases, root fields, directives). */
  limits: OperationLimits;
  /**
   * Runs after the operation executed and before its answer is sent, with the request's context; when it
   * throws, that error is the answer instead (no data). Writes the request's audit records.
   */
  beforeSend?: (context: Context) => Promise<void>;
}

/** A started engine: a handler for the kit's HTTP app, and how to release what it holds. */
export interface GraphQLEngine {
  handle: RouteHandler;
  stop(): Promise<void>;
}

const reportUnexpected = (logger: Logger, path: unknown) => (cause: unknown) =>
  logger.error({ err: cause, path }, 'resolver failed');

async function startApollo<Context extends BaseContext>(
  options: EngineOptions<Context>,
): Promise<GraphQLEngine> {
  const apollo = new ApolloServer<Context>({
    schema: options.schema,
    formatError: (formatted, error) =>
      formatGraphQLError(formatted, error, reportUnexpected(options.logger, formatted.path)),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    includeStacktraceInErrorResponses: false, // never, not even in development (paths of this machine)
    parseOptions: parseOptionsFor(options.limits),
    validationRules: shapeLimitRules(options.limits),
    logger: options.logger,
    stopOnTerminationSignals: false, // the process owns the signals and stops things in order
  });
  await apollo.start();
  return {
    handle: apolloRoute(apollo, (request) => options.context(request), {
      maxBodyBytes: options.maxBodyBytes,
      ...(options.beforeSend ? { beforeSend: options.beforeSend } : {}),
    }),
    stop: () => apollo.stop(),
  };
}

/**
 * mercurius on a fastify instance that never listens itself: the kit's HTTP app hands /graphql requests
 * to fastify's router, so health, limits and draining are the same code as for Apollo.
 */
async function startMercurius<Context>(options: EngineOptions<Context>): Promise<GraphQLEngine> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }), // errors are logged, not requests
    bodyLimit: options.maxBodyBytes,
  });
  // Plain JSON: mercurius' response schema would turn the numeric indexes of error paths into strings,
  // and the gateway needs them as numbers to place an entity's error.
  app.setReplySerializer((payload) => JSON.stringify(payload));
  const { beforeSend } = options;
  // Each request's context, for the hook that runs before its answer is sent.
  const contexts = new WeakMap<IncomingMessage, Context>();
  if (beforeSend) {
    app.addHook('onSend', async (request, reply, payload) => {
      const context = contexts.get(request.raw);
      if (context === undefined) return payload;
      contexts.delete(request.raw);
      try {
        await beforeSend(context);
        return payload;
      } catch (error) {
        const refused = refusedResult(error);
        reply.code(refused.status).header('content-type', 'application/json; charset=utf-8');
        return refused.body;
      }
    });
  }
  await app.register(mercurius, {
    schema: options.schema,
    context: async (request) => {
      const context = await options.context(request.raw);
      if (beforeSend) contexts.set(request.raw, context);
      return context as Record<string, unknown>;
    },
    errorFormatter: (execution) => formatExecution(execution, options.logger, options.maxBodyBytes),
    graphiql: false,
    graphql: { parseOptions: parseOptionsFor(options.limits) },
    validationRules: shapeLimitRules(options.limits),
    // As Apollo Server does: a browser's simple GET or form POST cannot run an operation.
    csrfPrevention: { requiredHeaders: ['x-apollo-operation-name', 'apollo-require-preflight'] },
  });
  await app.ready();
  return {
    handle: (request, response) => {
      // As the Apollo engine's readBody does: a declared body over the limit is refused before it is read.
      if (Number(request.headers['content-length'] ?? 0) > options.maxBodyBytes)
        throw new PayloadTooLargeError(options.maxBodyBytes);
      app.routing(request, response);
    },
    stop: () => app.close(),
  };
}

export function startEngine<Context extends BaseContext>(
  name: EngineName,
  options: EngineOptions<Context>,
): Promise<GraphQLEngine> {
  return name === 'apollo' ? startApollo(options) : startMercurius(options);
}
