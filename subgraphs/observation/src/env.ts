import { envFields } from '@hsg/kit';
import { z } from 'zod';

/**
 * The observation subgraph's own environment, beyond what the kit reads for every subgraph (PORT 4106,
 * HOST, LOG_LEVEL, DATABASE_URL, DATABASE_SCHEMA `observation`, DATABASE_POOL_SIZE, KAFKA_BROKERS).
 */
export const observationSettings = z.object({
  /** How long recordLabResults waits for a patient missing from the projection (ADR 0006). */
  PROJECTION_WAIT_MS: envFields.durationMs(2000),
  /** A patient UUIDv7 younger than this is "not yet known" (retriable) rather than unknown. */
  PROJECTION_GRACE_MS: envFields.durationMs(5 * 60_000),
});

export type ObservationSettings = z.output<typeof observationSettings>;
