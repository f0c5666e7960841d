import { envFields } from '@hsg/kit';
import { z } from 'zod';

/**
 * The analytics subgraph's own environment, beyond what the kit reads (PORT 4107, HOST, LOG_LEVEL,
 * DATABASE_URL as mongodb://, DATABASE_NAME `analytics`, DATABASE_POOL_SIZE, KAFKA_BROKERS):
 * ANALYTICS_CLAIM_MS, how long a delivery's claim on an event holds before another presumes it dead.
 */
export const analyticsSettings = z.object({
  ANALYTICS_CLAIM_MS: envFields.durationMs(30_000),
});

export type AnalyticsSettings = z.output<typeof analyticsSettings>;
