import { envFields, parseEnv } from '@hsg/kit';
import { z } from 'zod';

const schema = z.object({
  PORT: envFields.port(4101),
  HOST: envFields.host(),
  LOG_LEVEL: envFields.logLevel(),
  DATABASE_URL: envFields.postgresUrl(),
  /** The Postgres schema holding this service's tables. */
  DATABASE_SCHEMA: envFields.sqlNamespace('patient'),
  DATABASE_POOL_SIZE: envFields.poolSize(),
  KAFKA_BROKERS: envFields.kafkaBrokers(),
});

export type PatientEnv = z.output<typeof schema>;

export const parsePatientEnv = (env: Record<string, string | undefined> = process.env): PatientEnv =>
  parseEnv('patient', schema, env);
