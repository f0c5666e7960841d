import { formatGraphQLError } from '@hsg/kit/http';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The kit's formatGraphQLError, plus two cases only a gateway has:
 * - an error a subgraph reported (the gateway marks it with `serviceName`) was already formatted by that
 *   subgraph's own formatError: it passes through, code included; the kit alone would see a plain-object
 *   `originalError` and hide it as INTERNAL;
 * - a failure the gateway collected raw (not a GraphQLError, e.g. an unreachable subgraph's AppError)
 *   reaches formatError unwrapped, so it is wrapped the way graphql-js wraps resolver errors.
 */
export function formatRouterError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (typeof formatted.extensions?.serviceName === 'string' && !hasErrorCause(error)) return formatted;
  return formatGraphQLError(formatted, error instanceof GraphQLError ? error : { originalError: error });
}

/** A GraphQLError wrapping a thrown Error (not a subgraph's JSON error object). */
function hasErrorCause(error: unknown): boolean {
  return error instanceof GraphQLError && error.originalError instanceof Error;
}
