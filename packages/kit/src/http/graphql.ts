import type { IncomingMessage } from 'node:http';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isAppError, toGraphQLErrorShape } from '../errors.ts';
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

export interface ApolloRouteOptions {
  /** Larger request bodies answer 413 (see readBody). */
  maxBodyBytes?: number;
}

/**
 * Serves a started ApolloServer on a node:http route (the integration API Apollo documents). Lean on purpose,
 * as it runs for every operation: no URL object, one pass over the headers.
 */
export function apolloRoute<Context extends BaseContext>(
  apollo: ApolloServer<Context>,
  context: (request: IncomingMessage) => Promise<Context>,
  { maxBodyBytes = defaultMaxBodyBytes }: ApolloRouteOptions = {},
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
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search: query === -1 ? '' : url.slice(query), body },
      context: () => context(request),
    });
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
