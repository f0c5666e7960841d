import { type ExecutionResult, GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { isOperationLimitError, tokenLimitErrorOf } from '../graphql/limits.ts';
import { formatGraphQLError } from '../http/graphql.ts';
import { defaultMaxBodyBytes, PayloadTooLargeError } from '../http/server.ts';

interface Formatted {
  statusCode: number;
  response: { data?: ExecutionResult['data']; errors: GraphQLFormattedError[] };
}

type Failure = Error & { statusCode?: unknown; errors?: unknown };

const withCode = (error: { message: string }, code: string, base?: GraphQLFormattedError) => ({
  ...(base ?? { message: error.message }),
  extensions: { ...base?.extensions, code },
});

/** Variables that do not fit their declared types (graphql-js' coercion messages). */
const coercionFailure =
  /^Variable "\$\w+" (got invalid value|of required type|of non-null type|expected value)/;

/** A failure before execution, named with the codes Apollo Server uses for it. */
function requestError(error: unknown): GraphQLFormattedError {
  const limit = isOperationLimitError(error)
    ? error
    : error instanceof Error
      ? tokenLimitErrorOf(error.message)
      : undefined;
  if (limit) {
    const { http: _http, ...extensions } = limit.extensions;
    const located = error instanceof GraphQLError ? error.toJSON() : {};
    return { ...located, message: limit.message, extensions };
  }
  if (!(error instanceof GraphQLError))
    return withCode({ message: error instanceof Error ? error.message : 'Bad request' }, 'BAD_REQUEST');
  const code = error.message.startsWith('Syntax Error')
    ? 'GRAPHQL_PARSE_FAILED'
    : coercionFailure.test(error.message)
      ? 'BAD_USER_INPUT'
      : 'GRAPHQL_VALIDATION_FAILED';
  return withCode(error, code, error.toJSON());
}

const reportTo = (logger: Logger, error: GraphQLError) => (cause: unknown) =>
  logger.error({ err: cause, path: error.path }, 'resolver failed');

/**
 * mercurius' errorFormatter, making this subgraph answer like the Apollo Server ones: the same
 * `extensions.code`s (resolver errors through the kit's formatter) and the same statuses. An operation that
 * executed answers 200 with its errors, which is what @apollo/gateway needs to pass a subgraph's errors
 * through (any other status becomes a generic gateway error); requests that never executed answer 4xx.
 */
export function formatExecution(
  execution: ExecutionResult & { errors: readonly GraphQLError[] },
  logger: Logger,
  maxBodyBytes = defaultMaxBodyBytes,
): Formatted {
  if ('data' in execution) {
    const errors = execution.errors.map((error) =>
      formatGraphQLError(
        withCode(error, String(error.extensions.code ?? 'INTERNAL_SERVER_ERROR'), error.toJSON()),
        error,
        reportTo(logger, error),
      ),
    );
    return { statusCode: 200, response: { data: execution.data ?? null, errors } };
  }
  let statusCode = 400;
  const errors = execution.errors.flatMap((error): GraphQLFormattedError[] => {
    const original = error.originalError as Failure | undefined;
    const status = typeof original?.statusCode === 'number' ? original.statusCode : undefined;
    // mercurius wraps parse, validation and variable failures (and refused methods) in one error listing them.
    if (Array.isArray(original?.errors)) {
      statusCode = status ?? 400;
      return original.errors.map(requestError);
    }
    // A streamed body that outgrew fastify's bodyLimit: the same 413 the kit's HTTP app answers.
    if (status === 413) {
      statusCode = 413;
      return [
        withCode(new PayloadTooLargeError(maxBodyBytes), 'PAYLOAD_TOO_LARGE', {
          message: new PayloadTooLargeError(maxBodyBytes).message,
          extensions: { retriable: false },
        }),
      ];
    }
    // fastify's own request errors: unreadable body, unsupported content type, CSRF, ...
    if (status !== undefined && status < 500) {
      statusCode = status;
      return [withCode(error, 'BAD_REQUEST')];
    }
    if (original === undefined) return [requestError(error)];
    statusCode = 500;
    return [formatGraphQLError(error.toJSON(), error, reportTo(logger, error))];
  });
  return { statusCode, response: { errors } };
}
