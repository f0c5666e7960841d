import type { SubgraphPost, SubgraphTransport } from './fetcher.ts';
import type { SubgraphEndpoint } from './subgraphs.ts';

export interface ReadinessOptions {
  /** How long one probe may take before the subgraph counts as down. */
  timeoutMs?: number;
  /** How long a result is reused, so frequent /ready polls cost at most one probe per subgraph per period. */
  cacheMs?: number;
  now?: () => number;
}

/**
 * One check per subgraph for the kit's healthRoutes: a `{ __typename }` POST, the cheapest operation every
 * GraphQL server answers. Concurrent callers share the probe in flight.
 */
export function subgraphReadiness(
  subgraphs: SubgraphEndpoint[],
  transport: SubgraphTransport,
  { timeoutMs = 1000, cacheMs = 1000, now = Date.now }: ReadinessOptions = {},
): Record<string, () => Promise<boolean>> {
  return Object.fromEntries(
    subgraphs.map(({ name, url }) => {
      const post = transport.endpoint(url);
      let cached: { at: number; result: Promise<boolean> } | undefined;
      const check = () => {
        if (cached === undefined || now() - cached.at >= cacheMs) {
          cached = { at: now(), result: probe(post, timeoutMs) };
        }
        return cached.result;
      };
      return [name, check];
    }),
  );
}

async function probe(post: SubgraphPost, timeoutMs: number): Promise<boolean> {
  try {
    const response = await post(
      { 'content-type': 'application/json' },
      '{"query":"{ __typename }"}',
      AbortSignal.timeout(timeoutMs),
    );
    if (response.status < 200 || response.status >= 300) return false;
    const body = JSON.parse(response.body) as { data?: { __typename?: unknown } };
    return typeof body.data?.__typename === 'string';
  } catch {
    return false;
  }
}
