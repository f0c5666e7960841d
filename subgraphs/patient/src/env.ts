import { envFields, parseEnv } from '@hsg/kit';
import { z } from 'zod';

const schema = z.object({
  PORT: envFields.port(4101),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: envFields.logLevel(),
  DATABASE_URL: envFields.postgresUrl(),
  /** The Postgres schema holding this service's tables. */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('patient'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  KAFKA_BROKERS: envFields.kafkaBrokers(),
});

export type PatientEnv = z.output<typeof schema>;

export const parsePatientEnv = (env: Record<string, string | undefined> = process.env): PatientEnv =>
  parseEnv('patient', schema, env);
