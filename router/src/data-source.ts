import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { AppError, type ErrorCode, type Logger, toGraphQLErrorShape, unavailable } from '@hsg/kit';
import { GraphQLError } from 'graphql';
import { forwardedHeaders, type RouterContext } from './context.ts';
import { headerOf, type SubgraphPost, type SubgraphResponse, type SubgraphTransport } from './fetcher.ts';

export { forwardedHeaders, type RouterContext } from './context.ts';

type GatewayResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/**
 * One subgraph, reached through the shared keep-alive transport. What @apollo/gateway's
 * RemoteGraphQLDataSource does, without its per-call node-fetch Headers and Request, or a fetch Response:
 * the same JSON body, the caller's credentials and trace context forwarded, the subgraph's Cache-Control
 * honoured, and transport failures turned into the kit's error codes without leaking subgraph URLs.
 */
export class SubgraphDataSource implements GraphQLDataSource<RouterContext> {
  readonly subgraphName: string;
  readonly url: string;
  readonly #post: SubgraphPost;
  readonly #logger: Logger | undefined;

  constructor(options: { name: string; url: string; transport: SubgraphTransport; logger?: Logger }) {
    this.subgraphName = options.name;
    this.url = options.url;
    this.#post = options.transport.endpoint(options.url);
    this.#logger = options.logger;
  }

  async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayResponse> {
    const { request, context } = options;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    // The gateway adds headers of its own only to ask for federated traces, which it never does here.
    if (request.http?.headers) {
      for (const [name, value] of request.http.headers) headers[name.toLowerCase()] = value;
      headers['content-type'] = 'application/json';
    }
    for (const name of forwardedHeaders) {
      const value = context[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const body = JSON.stringify({
      query: request.query,
      variables: request.variables,
      operationName: request.operationName,
      extensions: request.extensions,
    });
    let response: SubgraphResponse;
    let result: unknown;
    try {
      response = await this.#post(headers, body);
      if (response.status < 200 || response.status >= 300) throw this.errorFromResponse(response);
      result = isJson(response) ? JSON.parse(response.body) : response.body;
      if (!isObject(result)) throw new Error(`Expected JSON response body, but received: ${result}`);
    } catch (error) {
      const representations = request.variables?.representations;
      if (Array.isArray(representations)) return this.entityErrors(error, representations.length);
      this.didEncounterError(error);
    }
    if ('incomingRequestContext' in options) {
      const policy = options.incomingRequestContext.overallCachePolicy;
      if (policy && 'restrict' in policy) policy.restrict(cacheHint(headerOf(response, 'cache-control')));
    }
    return result as GatewayResponse;
  }

  /**
   * A non-2xx answer: keep the subgraph's own first GraphQL error when it sent one (e.g. a 400 with
   * BAD_USER_INPUT for a scalar it rejected), else a code from the status. The gateway's default puts
   * the subgraph's URL and raw body in the client's error.
   */
  errorFromResponse(response: SubgraphResponse): GraphQLError {
    let parsed: unknown;
    if (headerOf(response, 'content-type')?.includes('json')) {
      try {
        parsed = JSON.parse(response.body);
      } catch {
        parsed = undefined;
      }
    }
    const first = (parsed as { errors?: Array<{ message?: unknown; extensions?: Record<string, unknown> }> })
      ?.errors?.[0];
    if (typeof first?.message === 'string') {
      return new GraphQLError(first.message, {
        extensions: { ...first.extensions, serviceName: this.subgraphName },
      });
    }
    const code = codeForStatus(response.status);
    return new GraphQLError(`Subgraph ${this.subgraphName} answered HTTP ${response.status}`, {
      extensions: { code, retriable: code === 'UNAVAILABLE', serviceName: this.subgraphName },
    });
  }

  /**
   * An entity fetch that failed as a whole (the subgraph unreachable, or a non-2xx answer): one error per
   * entity at `_entities.<i>`, which the gateway rewrites to that entity's path in the client's answer. A
   * thrown error would reach the client once, without a path, however many entities it cost (ADR 0013).
   */
  entityErrors(error: unknown, count: number): GatewayResponse {
    let failure: unknown = error;
    try {
      this.didEncounterError(error);
    } catch (thrown) {
      failure = thrown;
    }
    // Nothing is thrown to the gateway, so the router's "operation failed" log never sees this one.
    this.#logger?.warn({ err: error, subgraph: this.subgraphName, entities: count }, 'entity fetch failed');
    const { message, extensions } = failure instanceof GraphQLError ? failure : toGraphQLErrorShape(failure);
    return {
      errors: Array.from({ length: count }, (_, index) => ({
        message,
        path: ['_entities', index],
        extensions: { ...extensions, serviceName: this.subgraphName },
      })),
    };
  }

  /** Connection refused, reset, timed out, a body that is not JSON: unavailable, which is worth a retry. */
  didEncounterError(error: unknown): never {
    if (error instanceof GraphQLError || error instanceof AppError) throw error;
    throw unavailable(`Subgraph ${this.subgraphName} is unavailable`, error);
  }
}

function isJson(response: SubgraphResponse): boolean {
  const type = headerOf(response, 'content-type');
  return (
    type !== undefined &&
    (type.startsWith('application/json') || type.startsWith('application/graphql-response+json'))
  );
}

const isObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 429 || status >= 500) return 'UNAVAILABLE';
  return 'INTERNAL';
}

/** A subgraph's Cache-Control read as the gateway's own data source reads it: max-age, private, public. */
function cacheHint(header: string | undefined): { maxAge: number; scope?: 'PRIVATE' | 'PUBLIC' } {
  const directives = new Map<string, string | true>();
  for (const part of header ? header.trim().split(/\s*,\s*/) : []) {
    const [key = '', value] = part.split(/\s*=\s*/, 2);
    directives.set(key, value === undefined ? true : value.replace(/^"|"$/g, ''));
  }
  const hint: { maxAge: number; scope?: 'PRIVATE' | 'PUBLIC' } = { maxAge: 0 };
  const maxAge = directives.get('max-age');
  if (typeof maxAge === 'string' && /^[0-9]+$/.test(maxAge)) hint.maxAge = Number(maxAge);
  if (directives.get('private') === true) hint.scope = 'PRIVATE';
  if (directives.get('public') === true) hint.scope = 'PUBLIC';
  return hint;
}
