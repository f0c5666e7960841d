// Where infra state lives and which ports it uses. Everything is derived from env with fixed defaults,
// so the CLI, tests and services agree without passing anything around.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root, found from this file's own location (packages/infra/src), never from cwd. */
export const repoRoot: string = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

/** This package's folder: holds the poms and the Java launcher. */
export const packageDir: string = path.join(repoRoot, 'packages', 'infra');

/** State folder (git-ignored `.infra/` at the repo root), overridable with INFRA_DIR. */
export function infraDir(): string {
  const override = process.env.INFRA_DIR;
  return override ? path.resolve(override) : path.join(repoRoot, '.infra');
}

export const host = '127.0.0.1';

export type InfraPorts = {
  postgres: number;
  mysql: number;
  kafka: number;
  kafkaController: number;
  mongo: number;
};

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${name}=${raw} is not a valid port`);
  return port;
}

/** Non-default ports so nothing clashes with a developer's own servers on 5432/3306/9092/27017. */
export function infraPorts(): InfraPorts {
  return {
    postgres: portFromEnv('INFRA_PG_PORT', 55432),
    mysql: portFromEnv('INFRA_MYSQL_PORT', 53306),
    kafka: portFromEnv('INFRA_KAFKA_PORT', 59092),
    kafkaController: portFromEnv('INFRA_KAFKA_CONTROLLER_PORT', 59093),
    mongo: portFromEnv('INFRA_MONGO_PORT', 57017),
  };
}

export type InfraEnv = { DATABASE_URL: string; MYSQL_URL: string; MONGO_URL: string; KAFKA_BROKERS: string };

/** Connection settings of the shared infra as the `infra up` CLI starts it. */
export function defaultInfraEnv(): InfraEnv {
  const p = infraPorts();
  return {
    DATABASE_URL: `postgres://app:app@${host}:${p.postgres}/app`,
    MYSQL_URL: `mysql://app:app@${host}:${p.mysql}/app`,
    MONGO_URL: `mongodb://${host}:${p.mongo}/app`,
    KAFKA_BROKERS: `${host}:${p.kafka}`,
  };
}

/** Like defaultInfraEnv(), but each variable already set in process.env wins (CI, compose, a shell). */
export function infraEnv(): InfraEnv {
  const d = defaultInfraEnv();
  const env = process.env;
  return {
    DATABASE_URL: env.DATABASE_URL || d.DATABASE_URL,
    MYSQL_URL: env.MYSQL_URL || d.MYSQL_URL,
    MONGO_URL: env.MONGO_URL || d.MONGO_URL,
    KAFKA_BROKERS: env.KAFKA_BROKERS || d.KAFKA_BROKERS,
  };
}
