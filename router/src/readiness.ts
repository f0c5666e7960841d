import type { SubgraphPost, SubgraphTransport } from './fetcher.ts';
import type { SubgraphEndpoint } from './subgraphs.ts';

export interface ReadinessOptions {
  /** How long one probe may take before the subgraph counts as down. */
  timeoutMs?: number;
  /** How long a result is reused, so frequent /ready polls cost at most one probe per subgraph per period. */
  cacheMs?: number;
  now?: () => number;
}

/** What /ready says of one subgraph: whether its probe was answered. */
export type SubgraphState = 'up' | 'down';

/**
 * The router's readiness, from one probe per subgraph. It serves every operation whose fetches go to
 * subgraphs that are up, and a degraded answer (null where a subgraph is down, an error saying so) to the
 * others (ADR 0013). So it is `ready` while every subgraph is up, `degraded` while at least one is, and
 * `not ready` only when none is.
 */
export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'not ready';
  subgraphs: Record<string, SubgraphState>;
}

/** Runs every check at once; a check that throws counts as down. */
export async function readinessReport(
  checks: Record<string, () => Promise<boolean> | boolean>,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, SubgraphState]> => {
      const up = await Promise.resolve()
        .then(check)
        .catch(() => false);
      return [name, up ? 'up' : 'down'];
    }),
  );
  const up = results.filter(([, state]) => state === 'up').length;
  const status = up === results.length ? 'ready' : up > 0 ? 'degraded' : 'not ready';
  return { status, subgraphs: Object.fromEntries(results) };
}

/**
 * One check per subgraph for /ready: a `{ __typename }` POST, the cheapest operation every GraphQL server
 * answers. Concurrent callers share the probe in flight.
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
