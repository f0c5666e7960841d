import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { AppError, type ErrorCode, unavailable } from '@hsg/kit';
import { GraphQLError } from 'graphql';
import type { Fetcher } from './fetcher.ts';

/** What the router keeps from the caller's request to pass on to subgraphs. */
export interface RouterContext {
  authorization?: string;
  traceparent?: string;
  tracestate?: string;
}

/** Caller headers forwarded to every subgraph: credentials, and the W3C trace context. */
export const forwardedHeaders = ['authorization', 'traceparent', 'tracestate'] as const;

interface ResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

/**
 * One subgraph, reached through the shared keep-alive fetcher. Forwards the caller's credentials and trace
 * context, and turns transport failures into the kit's error codes without leaking subgraph URLs.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  readonly subgraphName: string;

  constructor(options: { name: string; url: string; fetcher: Fetcher }) {
    super({ url: options.url, fetcher: options.fetcher });
    this.subgraphName = options.name;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    for (const name of forwardedHeaders) {
      const value = context[name];
      if (typeof value === 'string') request.http?.headers.set(name, value);
    }
  }

  /**
   * A non-2xx answer: keep the subgraph's own first GraphQL error when it sent one (e.g. a 400 with
   * BAD_USER_INPUT for a scalar it rejected), else a code from the status. The gateway's default puts
   * the subgraph's URL and raw body in the client's error.
   */
  override async errorFromResponse(response: ResponseLike): Promise<GraphQLError> {
    const body = response.headers.get('content-type')?.includes('json')
      ? await response.json().catch(() => undefined)
      : undefined;
    const first = (body as { errors?: Array<{ message?: unknown; extensions?: Record<string, unknown> }> })
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

  /** Connection refused, reset, timed out: the subgraph is unavailable, which is worth a retry. */
  override didEncounterError(error: Error): never {
    if (error instanceof GraphQLError || error instanceof AppError) throw error;
    throw unavailable(`Subgraph ${this.subgraphName} is unavailable`, error);
  }
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 429 || status >= 500) return 'UNAVAILABLE';
  return 'INTERNAL';
}
