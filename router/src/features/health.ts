import { healthRoutes } from '@hsg/kit/http';
import type { RouterFeature } from './feature.ts';

export interface HealthOptions {
  /** /ready's checks by name (the router's: one probe per subgraph); /health only says the process runs. */
  checks: Record<string, () => Promise<boolean> | boolean>;
}

/** /health and /ready, the kit's probes. */
export function createHealthFeature({ checks }: HealthOptions): RouterFeature {
  return {
    name: 'health',
    setup(host) {
      for (const [path, handler] of Object.entries(healthRoutes(checks))) host.route({ path, handler });
    },
  };
}
