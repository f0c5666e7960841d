import { z } from 'zod';
import { EnvError, envFields, parseEnv } from '../env.ts';
import { createKafkaTransport } from '../events/kafka.ts';
import { createLogger, type Logger } from '../logger.ts';
import { onShutdown } from '../shutdown.ts';
import { createMysqlDatabase, createPgDatabase, type SqlDatabase } from '../sql/index.ts';
import {
  type AnySubgraph,
  type RunningSubgraph,
  type StartSubgraphOptions,
  startSubgraph,
} from './subgraph.ts';

/** The variables every subgraph process reads; its store decides how its database is named. */
export function subgraphEnvSchema(definition: Pick<AnySubgraph, 'name' | 'port' | 'store'>) {
  const common = {
    PORT: envFields.port(definition.port),
    HOST: envFields.host(),
    LOG_LEVEL: envFields.logLevel(),
    DATABASE_POOL_SIZE: envFields.poolSize(),
    KAFKA_BROKERS: envFields.kafkaBrokers(),
    KAFKA_TOPIC_PREFIX: envFields.kafkaTopicPrefix(),
    DRAIN_DELAY_MS: envFields.drainDelayMs(),
    /** The identity subgraph's JWKS, whose keys sign every access token (http://…/.well-known/jwks.json). */
    JWKS_URL: envFields.httpUrl(),
  };
  if (definition.store === 'mongo')
    return z.object({
      ...common,
      /** The MongoDB server, e.g. mongodb://127.0.0.1:57017. */
      DATABASE_URL: envFields.mongoUrl(),
      /** The database holding this service's collections. */
      DATABASE_NAME: envFields.sqlNamespace(definition.name),
    });
  return definition.store === 'mysql'
    ? z.object({
        ...common,
        /** The MariaDB/MySQL server, e.g. mysql://app:app@127.0.0.1:53306/app. */
        DATABASE_URL: envFields.mysqlUrl(),
        /** The database holding this service's tables (created if missing). */
        DATABASE_NAME: envFields.sqlNamespace(definition.name),
      })
    : z.object({
        ...common,
        DATABASE_URL: envFields.postgresUrl(),
        /** The Postgres schema holding this service's tables. */
        DATABASE_SCHEMA: envFields.sqlNamespace(definition.name),
      });
}

export interface SubgraphProcessEnv<Settings> {
  PORT: number;
  HOST: string;
  LOG_LEVEL: z.output<ReturnType<typeof envFields.logLevel>>;
  DRAIN_DELAY_MS: number;
  JWKS_URL: string;
  DATABASE_URL: string;
  /** DATABASE_SCHEMA (Postgres) or DATABASE_NAME (MySQL, MongoDB). */
  namespace: string;
  DATABASE_POOL_SIZE: number;
  KAFKA_BROKERS: string[];
  KAFKA_TOPIC_PREFIX: string;
  settings: Settings;
}

/** Parses the kit's variables and the subgraph's own together, reporting every problem at once. */
export function parseSubgraphEnv<D extends AnySubgraph>(
  definition: D,
  env: Record<string, string | undefined> = process.env,
): SubgraphProcessEnv<D extends { settings: z.ZodType<infer S> } ? S : never> {
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof EnvError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const base = attempt(() => parseEnv(definition.name, subgraphEnvSchema(definition), env));
  const settings = attempt(() => parseEnv(definition.name, definition.settings, env));
  if (!base || problems.length > 0) throw new EnvError(definition.name, problems);
  const namespace = 'DATABASE_NAME' in base ? base.DATABASE_NAME : base.DATABASE_SCHEMA;
  return { ...base, namespace, settings } as unknown as SubgraphProcessEnv<never>;
}

/** The store as the definition says: a SQL database, or (mongo) the store its `connectStore` opens. */
async function openStore(
  definition: AnySubgraph,
  env: SubgraphProcessEnv<unknown>,
  logger: Logger,
): Promise<{ database?: SqlDatabase; store?: unknown; close(): Promise<void> }> {
  const options = { url: env.DATABASE_URL, maxConnections: env.DATABASE_POOL_SIZE };
  if (definition.store === 'mongo') {
    const opened = await definition.connectStore({ ...options, name: env.namespace, logger });
    return { store: opened.store, close: () => opened.close() };
  }
  const database =
    definition.store === 'mysql'
      ? await createMysqlDatabase({ ...options, database: env.namespace })
      : await createPgDatabase({ ...options, schema: env.namespace, logger });
  return { database, close: () => database.close() };
}

/**
 * Real mode: one subgraph as its own process, configured by the environment. Reads env, connects the
 * store and Kafka, starts, and on SIGTERM/SIGINT drains and closes in reverse order. A subgraph's
 * `index.ts` is one call to this.
 */
export async function runSubgraphProcess<D extends AnySubgraph>(definition: D): Promise<RunningSubgraph<D>> {
  const env = parseSubgraphEnv(definition);
  const logger = createLogger({ service: definition.name, level: env.LOG_LEVEL });
  const { close: closeStore, ...store } = await openStore(definition, env, logger);
  const transport = createKafkaTransport({
    brokers: env.KAFKA_BROKERS,
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
    clientId: definition.name,
    logger,
  });
  const close = async () => {
    await transport.close();
    await closeStore();
  };
  let running: RunningSubgraph<D>;
  try {
    running = await startSubgraph(definition, {
      ...(store as Pick<StartSubgraphOptions<D>, 'database' | 'store'>),
      transport,
      logger,
      port: env.PORT,
      host: env.HOST,
      settings: env.settings,
      drainDelayMs: env.DRAIN_DELAY_MS,
      auth: { jwksUrl: env.JWKS_URL },
    });
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  logger.info({ url: running.url }, `${definition.name} subgraph ready`);
  onShutdown(logger, async () => {
    await running.stop();
    await close();
  });
  return running;
}
