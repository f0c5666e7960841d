import { envFields } from '@hsg/kit';
import { z } from 'zod';

/**
 * The appointment subgraph's own environment, beyond what the kit reads for every subgraph (PORT 4103,
 * HOST, LOG_LEVEL, DATABASE_URL, DATABASE_SCHEMA `appointment`, DATABASE_POOL_SIZE, KAFKA_BROKERS).
 */
export const appointmentSettings = z.object({
  /** How long a booking waits for a patient/doctor missing from the projections (ADR 0006). */
  PROJECTION_WAIT_MS: envFields.durationMs(2000),
  /** A UUIDv7 younger than this is "not yet known" (retriable) rather than unknown. */
  PROJECTION_GRACE_MS: envFields.durationMs(5 * 60_000),
  /** How often the no-show job looks for missed visits (ADR 0009). */
  NO_SHOW_INTERVAL_MS: envFields.durationMs(60_000),
  /** A BOOKED appointment this long past its end becomes NO_SHOW. */
  NO_SHOW_GRACE_MINUTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(60),
});

export type AppointmentSettings = z.output<typeof appointmentSettings>;
