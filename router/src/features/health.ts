import { sendJson } from '@hsg/kit/http';
import { readinessReport } from '../readiness.ts';
import type { RouterFeature } from './feature.ts';

export interface HealthOptions {
  /** One probe per subgraph, by subgraph name (subgraphReadiness); /health only says the process runs. */
  checks: Record<string, () => Promise<boolean> | boolean>;
}

/**
 * /health: the process is alive. /ready: the router can serve: 200 while at least one subgraph answers
 * (`ready`, or `degraded` naming the ones down), 503 (`not ready`) only when none does. The body lists
 * every subgraph's state, `{ status, subgraphs: { patient: 'up', doctor: 'down', … } }`.
 */
export function createHealthFeature({ checks }: HealthOptions): RouterFeature {
  return {
    name: 'health',
    setup(host) {
      host.route({
        path: '/health',
        handler: (_request, response) => sendJson(response, 200, { status: 'ok' }),
      });
      host.route({
        path: '/ready',
        handler: async (_request, response) => {
          const report = await readinessReport(checks);
          sendJson(response, report.status === 'not ready' ? 503 : 200, report);
        },
      });
    },
  };
}
