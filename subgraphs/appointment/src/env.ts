import { envFields, parseEnv } from '@hsg/kit';
import { z } from 'zod';
import { appointmentDefaults } from './defaults.ts';

const schema = z.object({
  PORT: envFields.port(4103),
  HOST: envFields.host(),
  LOG_LEVEL: envFields.logLevel(),
  DATABASE_URL: envFields.postgresUrl(),
  /** The Postgres schema holding this service's tables. */
  DATABASE_SCHEMA: envFields.sqlNamespace('appointment'),
  DATABASE_POOL_SIZE: envFields.poolSize(),
  KAFKA_BROKERS: envFields.kafkaBrokers(),
  /** How long a booking waits for a patient/doctor missing from the projections. */
  PROJECTION_WAIT_MS: envFields.durationMs(appointmentDefaults.projectionWaitMs),
  /** A UUIDv7 younger than this is "not yet known" (retriable) rather than unknown. */
  PROJECTION_GRACE_MS: envFields.durationMs(appointmentDefaults.projectionGraceMs),
  NO_SHOW_INTERVAL_MS: envFields.durationMs(appointmentDefaults.noShowIntervalMs),
  /** A BOOKED appointment this long past its end becomes NO_SHOW. */
  NO_SHOW_GRACE_MINUTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(appointmentDefaults.noShowGraceMinutes),
});

export type AppointmentEnv = z.output<typeof schema>;

export const parseAppointmentEnv = (env: Record<string, string | undefined> = process.env): AppointmentEnv =>
  parseEnv('appointment', schema, env);
