import { envFields, parseEnv } from '@hsg/kit';
import { z } from 'zod';

const schema = z.object({
  PORT: envFields.port(4102),
  HOST: envFields.host(),
  LOG_LEVEL: envFields.logLevel(),
  /** The MariaDB/MySQL server, e.g. mysql://app:app@127.0.0.1:53306/app. */
  DATABASE_URL: envFields.mysqlUrl(),
  /** The database holding this service's tables (created if missing). */
  DATABASE_NAME: envFields.sqlNamespace('doctor'),
  DATABASE_POOL_SIZE: envFields.poolSize(),
  KAFKA_BROKERS: envFields.kafkaBrokers(),
});

export type DoctorEnv = z.output<typeof schema>;

export const parseDoctorEnv = (env: Record<string, string | undefined> = process.env): DoctorEnv =>
  parseEnv('doctor', schema, env);
