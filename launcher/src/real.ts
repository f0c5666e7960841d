import { randomBytes } from 'node:crypto';
import { freePort, infraEnv } from '@hsg/infra';
import { createLogger, envFields, onShutdown, parseEnv } from '@hsg/kit';
import { deleteKafkaTopics } from '@hsg/kit/events';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { z } from 'zod';
import { bridgeLoginThroughGraph } from './bridge-user.ts';
import { portEnvFields, portsFromEnv } from './port-env.ts';
import { type ManagedProcess, runProcess, waitForHttp } from './processes.ts';
import {
  hl7Bridge,
  listeners,
  type Part,
  type PartPorts,
  type PartStore,
  parts,
  router as routerPart,
  subgraphParts,
  subgraphUrlVariable,
} from './registry.ts';

export interface RealModeOptions {
  /** Port by part name (`router` and each subgraph). Defaults: the registry's. */
  ports?: PartPorts;
  /** Prefix of the Postgres schemas, MySQL databases and consumer groups, so a test's run does not share tables with another's. */
  schemaPrefix?: string;
  quiet?: boolean;
  /** Every line each part writes, with its name (also when quiet). */
  onOutput?: (part: string, line: string) => void;
  /** Environment for every part (LOG_LEVEL, …), under what the launcher sets. */
  env?: Record<string, string>;
  /** The first ADMIN, created by identity at start if missing (its ADMIN_USERNAME / ADMIN_PASSWORD). */
  admin?: { username: string; password: string };
  /**
   * Only these subgraphs (by name; default: all), for a benchmark that measures a few parts without the
   * rest's consumers on the same cores. The router still knows every subgraph and answers the others as down.
   */
  subgraphs?: readonly string[];
}

/** A free port for every part, found now (processes are polled on their port, so 0 will not do). */
export async function freePorts(): Promise<PartPorts> {
  const ports: PartPorts = {};
  for (const part of [...parts, ...listeners]) ports[part.name as keyof PartPorts] = await freePort();
  return ports;
}

/** The variables that point a part at its stores on the real servers. */
function storeEnv(store: PartStore, schemaPrefix: string): Record<string, string> {
  const infra = infraEnv();
  const namespace = `${schemaPrefix}${store.namespace}`;
  switch (store.kind) {
    case 'postgres':
      return { DATABASE_URL: infra.DATABASE_URL, DATABASE_SCHEMA: namespace };
    case 'mysql':
      return { DATABASE_URL: infra.MYSQL_URL, DATABASE_NAME: namespace };
    case 'mongo':
      return { DATABASE_URL: infra.MONGO_URL, DATABASE_NAME: namespace };
  }
}

/**
 * Real mode: every part of the registry its own process, on the Postgres, MariaDB and Kafka of
 * `npm run infra -- up` (or the DATABASE_URL / MYSQL_URL / KAFKA_BROKERS in the environment).
 */
export async function startRealMode({
  ports = {},
  schemaPrefix = '',
  quiet = false,
  onOutput,
  env: extraEnv = {},
  admin,
  subgraphs: only,
}: RealModeOptions = {}) {
  const infra = infraEnv();
  const started: ManagedProcess[] = [];
  const stop = async () => {
    for (const part of started.reverse()) await part.stop();
  };
  const portOf = (part: Part) => ports[part.name as keyof PartPorts] ?? part.port;
  const mllpPort = ports['hl7-mllp'] ?? listeners[0].port;
  // The bridge records lab results: it needs the first ADMIN (who sets up its user) and the observations.
  const withBridge = admin !== undefined && (!only || only.includes('observation'));
  const start = async (part: Part, env: Record<string, string>) => {
    const process_ = runProcess(
      part.name,
      part.main,
      { ...extraEnv, PORT: String(portOf(part)), ...env },
      quiet,
      onOutput && ((line) => onOutput(part.name, line)),
    );
    started.push(process_);
    await waitForHttp(`http://127.0.0.1:${portOf(part)}/ready`, process_);
  };
  try {
    // One at a time: on two cores, parallel starts mostly contend for the CPU.
    // Identity signs every access token: each subgraph verifies them against its JWKS.
    const identity = subgraphParts().find((part) => part.name === 'identity');
    const jwksUrl = `http://127.0.0.1:${identity ? portOf(identity) : 0}/.well-known/jwks.json`;
    for (const part of subgraphParts()) {
      if (only && !only.includes(part.name)) continue;
      await start(part, {
        KAFKA_BROKERS: infra.KAFKA_BROKERS,
        // A prefixed run (a test, a benchmark) has topics of its own too, so its consumers replay nothing else.
        KAFKA_TOPIC_PREFIX: topicPrefixOf(schemaPrefix),
        JWKS_URL: jwksUrl,
        ...Object.assign({}, ...part.stores.map((store) => storeEnv(store, schemaPrefix))),
        ...(part === identity && admin
          ? { ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password }
          : {}),
      });
    }
    await start(routerPart, {
      ...Object.fromEntries(
        subgraphParts().map((part) => [
          subgraphUrlVariable(part),
          `http://127.0.0.1:${portOf(part)}/graphql`,
        ]),
      ),
      // Subscriptions: the router follows the domain events itself.
      KAFKA_BROKERS: infra.KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: topicPrefixOf(schemaPrefix),
    });
    // The bridge records through the router as its own INTEGRATION user, set up by the first ADMIN.
    if (withBridge && admin) {
      const login = await bridgeLoginThroughGraph(`http://127.0.0.1:${portOf(routerPart)}/graphql`, admin);
      await start(hl7Bridge, {
        GRAPH_URL: `http://127.0.0.1:${portOf(routerPart)}/graphql`,
        HL7_USERNAME: login.username,
        HL7_PASSWORD: login.password,
        HL7_MLLP_PORT: String(mllpPort),
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    routerUrl: `http://127.0.0.1:${portOf(routerPart)}/graphql`,
    /** The HL7 bridge's MLLP listener (only when started with an `admin`, who sets up its user). */
    mllp: withBridge ? { host: '127.0.0.1', port: mllpPort } : undefined,
    /** Before this run's Kafka topics (for a client that reads its events). */
    topicPrefix: topicPrefixOf(schemaPrefix),
    stop,
    /** Resolves when any part exits on its own (a crash, a kill -9), naming it. */
    died: Promise.race(started.map((part) => part.died)),
  };
}

/** The Kafka topic prefix of a run with this schema prefix (none for the default stores). */
export const topicPrefixOf = (schemaPrefix: string): string => schemaPrefix;

/** Drops what a run with this schema prefix stored (tests and benchmarks clean up after themselves). */
export async function dropRealModeStores(schemaPrefix: string): Promise<void> {
  if (!schemaPrefix) throw new Error('refusing to drop the unprefixed (default) stores');
  const stores = subgraphParts().flatMap((part) => part.stores);
  const named = (kind: PartStore['kind']) =>
    stores.filter((store) => store.kind === kind).map((store) => `${schemaPrefix}${store.namespace}`);
  const client = new pg.Client({ connectionString: infraEnv().DATABASE_URL });
  await client.connect();
  for (const schema of named('postgres')) await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
  const mysql = await createConnection(infraEnv().MYSQL_URL);
  for (const database of named('mysql')) await mysql.query(`drop database if exists \`${database}\``);
  await mysql.end();
  if (named('mongo').length > 0) {
    const { dropMongoAnalyticsDatabase } = await import('@hsg/analytics');
    for (const database of named('mongo')) await dropMongoAnalyticsDatabase(infraEnv().MONGO_URL, database);
  }
  await deleteKafkaTopics(infraEnv().KAFKA_BROKERS.split(','), topicPrefixOf(schemaPrefix));
}

/** `npm run start:real`'s environment: the same port variables as `npm start`. */
function parseRealEnv(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnv(
    'launcher',
    z.object({
      LOG_LEVEL: envFields.logLevel(),
      /** Prefixes every schema, database, consumer group and topic (tests run real mode beside others). */
      STORE_PREFIX: z
        .string()
        .regex(/^([a-z][a-z0-9_]{0,30})?$/, 'must be empty or a lower-case identifier')
        .default(''),
      /** The first ADMIN identity creates if missing; without ADMIN_PASSWORD one is generated and printed. */
      ADMIN_USERNAME: z.string().default('admin'),
      ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
      ...portEnvFields(),
    }),
    env,
  ) as Record<string, unknown> & {
    LOG_LEVEL: z.output<ReturnType<typeof envFields.logLevel>>;
    STORE_PREFIX: string;
    ADMIN_USERNAME: string;
    ADMIN_PASSWORD?: string;
  };
  return {
    LOG_LEVEL: parsed.LOG_LEVEL,
    storePrefix: parsed.STORE_PREFIX,
    ports: portsFromEnv(parsed),
    admin: { username: parsed.ADMIN_USERNAME, password: parsed.ADMIN_PASSWORD },
  };
}

if (import.meta.main) {
  const env = parseRealEnv();
  const logger = createLogger({ service: 'launcher', level: env.LOG_LEVEL });
  const generated = env.admin.password === undefined;
  const admin = {
    username: env.admin.username,
    password: env.admin.password ?? randomBytes(12).toString('base64url'),
  };
  const system = await startRealMode({ ports: env.ports, schemaPrefix: env.storePrefix, admin });
  process.stdout.write(
    `\nThe healthcare supergraph (real mode) is ready: ${system.routerUrl}\n` +
      (generated
        ? `  Log in as ${admin.username} with ${admin.password} (generated for this run if the user is new; set ADMIN_PASSWORD to choose)\n`
        : ''),
  );
  // The parts stop one after another, each given up to 10 s before SIGKILL: more than the default grace.
  onShutdown(logger, system.stop, 60_000);
  // A part that dies takes the system down loudly: a half-running graph that looks up is worse.
  void system.died.then(async ({ name, code, signal }) => {
    logger.error({ part: name, code, signal }, `${name} exited unexpectedly; stopping every part`);
    await system.stop();
    process.exit(1);
  });
}
