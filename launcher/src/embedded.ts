import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createGraphLabResultsSink, startHl7Bridge } from '@hsg/hl7-bridge';
import { freePort } from '@hsg/infra';
import { createLogger, envFields, type Logger, onShutdown, parseEnv } from '@hsg/kit';
import { createEmbeddedLog, type EventTransport, eventLogMigrations } from '@hsg/kit/events';
import { limitEnvFields, limitsFromEnv, type OperationLimits, routerLimitDefaults } from '@hsg/kit/graphql';
import { type RunningSubgraph, startSubgraph } from '@hsg/kit/runtime';
import { EmbeddedPostgres, runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { createRouter } from '@hsg/router';
import { loadSupergraphSdl } from '@hsg/schema';
import { z } from 'zod';
import { bridgeLoginInProcess } from './bridge-user.ts';
import { type DemoUser, demoPassword, loadDemoData } from './demo-data.ts';
import { portEnvFields, portsFromEnv } from './port-env.ts';
import { repoRoot } from './processes.ts';
import {
  hl7Bridge as bridgePart,
  listeners,
  type PartPorts,
  router as routerPart,
  type SubgraphDefinitionOf,
  type SubgraphName,
  subgraphs as subgraphParts,
} from './registry.ts';

export { type DemoUser, demoPassword } from './demo-data.ts';
export { anyPorts, type PartPorts } from './registry.ts';

export const defaultDataDir = join(repoRoot, '.data', 'embedded');

export type RunningSubgraphs = { [Name in SubgraphName]: RunningSubgraph<SubgraphDefinitionOf<Name>> };

export interface EmbeddedOptions {
  /** Where PGlite keeps its files; undefined keeps everything in memory (tests). */
  dataDir?: string | undefined;
  /** Port by part name (`router` and each subgraph); 0 = any free port. Defaults: the registry's. */
  ports?: PartPorts;
  demoData?: boolean;
  /** Sees every SQL statement, by schema (SQL logging; tests that count queries). */
  onQuery?: (schema: string, query: { sql: string; durationMs: number }) => void;
  /** The subgraphs' clock (tests move time; the system uses the real one). */
  clock?: () => Date;
  /** Defaults to info-level lines on stdout. */
  logger?: Logger;
  /** Production: no Sandbox, introspection, field suggestions or query-plan headers (NODE_ENV=production). */
  production?: boolean;
  /** The router's operation limits (GRAPHQL_MAX_* variables); defaults: the router's. */
  limits?: Partial<OperationLimits>;
  /** Browser origins the router allows by CORS (CORS_ORIGINS); none by default. */
  corsOrigins?: readonly string[];
  /** A first ADMIN for identity to create if missing (tests; `npm start` has the demo users). */
  admin?: { username: string; password: string };
}

export interface EmbeddedSystem {
  routerUrl: string;
  /** The demo users (one per role) when demo data was loaded. */
  demoUsers: DemoUser[];
  /** The embedded event log, for tools and tests that want to read the topics. */
  transport: EventTransport;
  subgraphs: RunningSubgraphs;
  /** The HL7 bridge: MLLP senders connect here; `hl7Url` takes POST /hl7. */
  mllp: { host: string; port: number };
  hl7Url: string;
  stop(): Promise<void>;
}

/**
 * Embedded mode: the router and every subgraph of the registry in this one process, each on its own port
 * with its own schema in one PGlite, and the embedded event log in place of Kafka. Subgraphs do not know
 * the difference.
 */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<EmbeddedSystem> {
  const logger = options.logger ?? createLogger({ service: 'embedded', level: 'info' });
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const postgres = await EmbeddedPostgres.open(
    options.dataDir ? { dataDir: join(options.dataDir, 'pglite') } : {},
  );
  const databases: SqlDatabase[] = [];
  const started: Array<{ stop(): Promise<void> }> = [];
  const schema = async (name: string) => {
    const onQuery = options.onQuery;
    const database = await postgres.database(
      name,
      onQuery ? { onQuery: (query) => onQuery(name, query) } : {},
    );
    databases.push(database);
    return database;
  };
  const stop = async () => {
    for (const part of started.reverse()) await part.stop();
    await transport.close();
    for (const database of databases) await database.close();
    await postgres.close();
  };

  const eventLog = await schema('event_log');
  await runMigrations(eventLog, [eventLogMigrations]);
  const transport = createEmbeddedLog({
    database: eventLog,
    logger: logger.child({ component: 'event-log' }),
  });
  try {
    // Identity signs the access tokens every subgraph verifies: its JWKS URL is needed before it runs
    // (it verifies its own callers too), so it gets a concrete port even when any port would do.
    const identityPort =
      options.ports?.identity || (options.ports ? await freePort() : subgraphParts.identity.port);
    const auth = { jwksUrl: `http://127.0.0.1:${identityPort}/.well-known/jwks.json` };
    const running: Partial<Record<SubgraphName, RunningSubgraph<SubgraphDefinitionOf<SubgraphName>>>> = {};
    for (const [name, part] of Object.entries(subgraphParts) as Array<
      [SubgraphName, (typeof subgraphParts)[SubgraphName]]
    >) {
      // Every store of a subgraph, MySQL ones included, is a schema of the one PGlite here.
      const [store] = part.stores;
      const isIdentity = name === 'identity';
      const subgraph = await startSubgraph(await part.load(), {
        database: await schema(store?.namespace ?? name),
        transport,
        logger: logger.child({ subgraph: name }),
        port: isIdentity ? identityPort : (options.ports?.[name] ?? part.port),
        auth,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(isIdentity && options.admin
          ? { settings: { ADMIN_USERNAME: options.admin.username, ADMIN_PASSWORD: options.admin.password } }
          : {}),
      });
      started.push(subgraph);
      running[name] = subgraph;
    }
    const subgraphs = running as RunningSubgraphs;
    let demoUsers: DemoUser[] = [];
    if (options.demoData ?? true) {
      const loaded = await loadDemoData(subgraphs);
      if (loaded.clinic) logger.info(loaded.clinic, 'demo data loaded');
      demoUsers = loaded.users;
    }
    const router = createRouter({
      supergraphSdl: await loadSupergraphSdl(),
      logger: logger.child({ subgraph: 'router' }),
      subgraphUrls: Object.fromEntries(
        Object.values(subgraphs).map((subgraph) => [subgraph.name, subgraph.url]),
      ),
      production: options.production ?? false,
      corsOrigins: options.corsOrigins ?? [],
      ...(options.limits ? { limits: options.limits } : {}),
      events: transport,
    });
    const routerPort = await router.start(options.ports?.router ?? routerPart.port);
    started.push(router);
    const routerUrl = `http://127.0.0.1:${routerPort}/graphql`;
    // The bridge records through the router like any lab system, as its own INTEGRATION user.
    const bridgeLogger = logger.child({ subgraph: 'hl7-bridge' });
    const bridge = await startHl7Bridge({
      sink: createGraphLabResultsSink({
        graphUrl: routerUrl,
        ...(await bridgeLoginInProcess(subgraphs.identity)),
        logger: bridgeLogger,
      }),
      logger: bridgeLogger,
      mllpPort: options.ports?.['hl7-mllp'] ?? listeners[0].port,
      httpPort: options.ports?.['hl7-bridge'] ?? bridgePart.port,
    });
    started.push({ stop: () => bridge.close() });
    return {
      routerUrl,
      demoUsers,
      transport,
      subgraphs,
      mllp: { host: '127.0.0.1', port: bridge.mllpPort },
      hl7Url: `http://127.0.0.1:${bridge.httpPort}/hl7`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * `npm start`'s environment: PORT for the router, <NAME>_PORT per subgraph, DATA_DIR, LOG_LEVEL, and the
 * router's NODE_ENV and GRAPHQL_MAX_* as in real mode.
 */
export function parseEmbeddedEnv(env: Record<string, string | undefined> = process.env) {
  return parseEnv(
    'embedded',
    z.object({
      ...portEnvFields(),
      /** Where the data lives between runs (`npm run reset` removes it). */
      DATA_DIR: z.string().default(defaultDataDir),
      LOG_LEVEL: envFields.logLevel(),
      NODE_ENV: envFields.nodeEnv(),
      CORS_ORIGINS: envFields.origins(),
      ...limitEnvFields(routerLimitDefaults),
    }),
    env,
  ) as unknown as {
    DATA_DIR: string;
    LOG_LEVEL: z.output<ReturnType<typeof envFields.logLevel>>;
    NODE_ENV: z.output<ReturnType<typeof envFields.nodeEnv>>;
    CORS_ORIGINS: string[];
  } & Record<string, number>;
}

if (import.meta.main) {
  const started = performance.now();
  const env = parseEmbeddedEnv();
  const dataDir = env.DATA_DIR;
  const logger = createLogger({ service: 'embedded', level: env.LOG_LEVEL });
  const production = env.NODE_ENV === 'production';
  const system = await startEmbedded({
    dataDir,
    ports: portsFromEnv(env),
    logger,
    production,
    limits: limitsFromEnv(env, routerLimitDefaults),
    corsOrigins: env.CORS_ORIGINS,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const urls: Array<[string, string]> = [
    [production ? 'GraphQL (production):' : 'GraphQL + Apollo Sandbox:', system.routerUrl],
    ...Object.values(system.subgraphs).map((subgraph): [string, string] => [
      `${subgraph.name} subgraph:`,
      subgraph.url,
    ]),
    [
      'HL7 v2 over MLLP:',
      `${system.mllp.host}:${system.mllp.port} (npm run hl7:send), POST ${system.hl7Url}`,
    ],
  ];
  const width = Math.max(...urls.map(([label]) => label.length));
  process.stdout.write(
    `\nThe healthcare supergraph is ready in ${seconds} s (embedded mode: one process, data in ${relative(process.cwd(), dataDir) || dataDir}).\n` +
      urls.map(([label, url]) => `  ${label.padEnd(width)} ${url}\n`).join('') +
      demoLogins(system.demoUsers, system.routerUrl) +
      '  Stop with Ctrl+C; `npm run reset` clears the data.\n\n',
  );
  onShutdown(logger, system.stop);
}

/** How a newcomer gets a token: the demo users (synthetic; one password for all) and the login call. */
function demoLogins(users: DemoUser[], routerUrl: string): string {
  if (users.length === 0) return '';
  const origin = new URL(routerUrl).origin;
  return (
    `  Demo users (password ${demoPassword}): ${users.map((user) => `${user.username} (${user.role})`).join(', ')}\n` +
    `  Log in: curl -s -X POST ${origin}/auth/login -H 'content-type: application/json' \\\n` +
    `            -d '{"username":"frontdesk","password":"${demoPassword}"}'\n` +
    '  then send Authorization: Bearer <accessToken> (in Sandbox: the Headers tab of the connection settings).\n'
  );
}
