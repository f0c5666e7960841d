import type { IncomingMessage } from 'node:http';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { errorCatalogue, isAppError, toGraphQLErrorShape } from '../errors.ts';
import { isOperationLimitError, tokenLimitErrorOf } from '../graphql/limits.ts';
import { defaultMaxBodyBytes, type RouteHandler, readBody, sendJson } from './server.ts';

/**
 * The one error formatter for every GraphQL server here (subgraphs and router). Apollo Server's own errors
 * (parse, validation, variable coercion) keep their codes; anything a resolver threw goes through the
 * kit's mapping, so codes are stable and internals never leak. Two cases come from the gateway: an error a
 * subgraph reported (marked with `serviceName`, its `originalError` a plain JSON object) was already
 * formatted by that subgraph and passes through; a failure the gateway collected raw (not wrapped in a
 * GraphQLError) is treated like a resolver's. `onUnexpected` sees every failure that was not a deliberate
 * AppError (a bug, a lost connection): the client only gets a stable code, so this is where it is logged.
 */
export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
  onUnexpected?: (cause: unknown) => void,
): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const limit = isOperationLimitError(original) ? original : tokenLimitOf(formatted);
  if (limit) return { ...formatted, message: limit.message, extensions: withoutHttp(limit.extensions) };
  if (original === undefined || original === null) return withoutInternals(formatted);
  if (typeof formatted.extensions?.serviceName === 'string' && !(original instanceof Error))
    return withoutInternals(formatted);
  if (original instanceof GraphQLError) return withoutInternals(formatted);
  if (!isAppError(original)) onUnexpected?.(original);
  const shape = toGraphQLErrorShape(original);
  return { ...formatted, message: shape.message, extensions: shape.extensions };
}

const tokenLimitOf = (formatted: GraphQLFormattedError) =>
  formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' ? tokenLimitErrorOf(formatted.message) : undefined;

const withoutHttp = ({ http: _http, ...extensions }: Record<string, unknown>) => extensions;

/**
 * Stack traces and exception details never reach a client, in any mode: a development subgraph (or one
 * on another engine) may have added them, and the router passes subgraph errors through. Apollo's own
 * INTERNAL_SERVER_ERROR (a failure outside any resolver) is the catalogue's INTERNAL, so clients see one
 * internal code.
 */
function withoutInternals(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const extensions = formatted.extensions;
  if (extensions?.code === 'INTERNAL_SERVER_ERROR') {
    const { stacktrace: _stacktrace, exception: _exception, ...kept } = extensions;
    return {
      ...formatted,
      message: 'Internal server error',
      extensions: { ...kept, code: 'INTERNAL', retriable: false },
    };
  }
  if (!extensions || !('stacktrace' in extensions || 'exception' in extensions)) return formatted;
  const { stacktrace: _stacktrace, exception: _exception, ...kept } = extensions;
  return { ...formatted, extensions: kept };
}

/**
 * The answer to a request whose operation ran but whose result must not leave (a hook after execution
 * refused it): the error alone, no data, with the status its code stands for (UNAVAILABLE: 503).
 */
export function refusedResult(error: unknown): { status: number; body: string } {
  const shape = toGraphQLErrorShape(error);
  return {
    status: errorCatalogue[shape.extensions.code].httpStatus,
    body: JSON.stringify({ errors: [shape] }),
  };
}

export interface ApolloRouteOptions<Context = BaseContext> {
  /** Larger request bodies answer 413 (see readBody). */
  maxBodyBytes?: number;
  /**
   * Runs once the operation has executed and before a byte of its answer is written, with the request's
   * context (when one was built). When it throws, the client gets that error instead of the result (see
   * refusedResult): e.g. the audit records the answer depends on could not be written.
   */
  beforeSend?: (context: Context) => Promise<void>;
}

/**
 * Serves a started ApolloServer on a node:http route (the integration API Apollo documents). Lean on purpose,
 * as it runs for every operation: no URL object, one pass over the headers.
 */
export function apolloRoute<Context extends BaseContext>(
  apollo: ApolloServer<Context>,
  context: (request: IncomingMessage) => Promise<Context>,
  { maxBodyBytes = defaultMaxBodyBytes, beforeSend }: ApolloRouteOptions<Context> = {},
): RouteHandler {
  return async (request, response) => {
    const headers = new HeaderMap();
    const incoming = request.headers;
    for (const name in incoming) {
      const value = incoming[name];
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const method = request.method ?? 'GET';
    let body: unknown;
    if (method === 'POST') {
      const text = await readBody(request, maxBodyBytes);
      try {
        body = text.length > 0 ? JSON.parse(text) : {};
      } catch {
        return sendJson(response, 400, {
          errors: [{ message: 'Body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
        });
      }
    }
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    let built: Context | undefined;
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search: query === -1 ? '' : url.slice(query), body },
      context: beforeSend
        ? async () => {
            built = await context(request);
            return built;
          }
        : () => context(request),
    });
    if (beforeSend && built !== undefined) {
      // An incremental answer is collected first: nothing is written before the hook agreed.
      const complete =
        result.body.kind === 'complete' ? result.body.string : await collect(result.body.asyncIterator);
      try {
        await beforeSend(built);
      } catch (error) {
        const refused = refusedResult(error);
        response.writeHead(refused.status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(refused.body),
        });
        response.end(refused.body);
        return;
      }
      for (const [name, value] of result.headers) response.setHeader(name, value);
      response.statusCode = result.status ?? 200;
      response.end(complete);
      return;
    }
    for (const [name, value] of result.headers) response.setHeader(name, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  };
}

async function collect(chunks: AsyncIterableIterator<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}
