import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Agent, fetch } from 'undici';

/** The fetch signature the gateway's data sources accept (@apollo/utils.fetcher). */
export type Fetcher = RemoteGraphQLDataSource['fetcher'];

export interface SubgraphFetcherOptions {
  /** Connections kept per subgraph origin; further requests queue on them rather than opening more. */
  maxSocketsPerOrigin: number;
  /** Longest wait for a subgraph's response headers, and for each chunk of its body. */
  timeoutMs: number;
}

export interface SubgraphFetcher {
  fetcher: Fetcher;
  close(): Promise<void>;
}

/**
 * undici's fetch over one keep-alive Agent: a bounded pool per subgraph origin instead of the gateway's
 * default (make-fetch-happen with unlimited sockets). Timeouts live on the agent, so no timer or
 * AbortSignal is allocated per request.
 */
export function createSubgraphFetcher({
  maxSocketsPerOrigin,
  timeoutMs,
}: SubgraphFetcherOptions): SubgraphFetcher {
  const agent = new Agent({
    connections: maxSocketsPerOrigin,
    // Shorter than the subgraphs' own keep-alive (65 s in the kit's server), so the router closes first.
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const fetcher: Fetcher = (url, init) => fetch(url, { ...init, dispatcher: agent });
  return { fetcher, close: () => agent.close() };
}
