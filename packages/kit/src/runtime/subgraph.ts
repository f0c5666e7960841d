import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AuditDeclaration } from '../audit/declaration.ts';
import { type AuditSink, outboxAuditSink } from '../audit/sink.ts';
import type { Policies } from '../auth/rules.ts';
import type { KeySource } from '../auth/verify.ts';
import type { OutboxRelay } from '../events/outbox.ts';
import { migrateAndStartOutbox } from '../events/service-outbox.ts';
import type { ComponentState, EventTransport } from '../events/transport.ts';
import type { Route } from '../http/server.ts';
import type { MigrationSource, SqlDatabase } from '../sql/index.ts';
import type { EngineName } from './engines.ts';
import type { RequestContext } from './request-context.ts';
import { createSubgraphServer, type ReadinessCheck } from './subgraph-server.ts';

/** Something a subgraph runs beside its API (an event consumer, a job, a listener): started first, stopped last. */
export interface Worker {
  start(): Promise<void> | void;
  stop(): Promise<void>;
  /** When present, the subgraph is ready only while this says 'ready'. */
  state?(): ComponentState;
}

export type Workers = Record<string, Worker>;

/** What a subgraph's background parts are built from. */
export interface WorkerDeps<Store, Settings> {
  database: SqlDatabase;
  transport: EventTransport;
  store: Store;
  logger: Logger;
  clock: () => Date;
  settings: Settings;
}

/** What a subgraph's API is built from: no database or transport, so it can be served over any store. */
export interface ApiDeps<Store, Settings, W extends Workers> {
  store: Store;
  logger: Logger;
  clock: () => Date;
  settings: Settings;
  workers: W;
}

export interface SubgraphApi<Context extends RequestContext, Exposed> {
  resolvers: GraphQLResolverMap<Context>;
  /** The subgraph's own part of each request's context (its DataLoaders). */
  context: (request: RequestContext) => Omit<Context, keyof RequestContext>;
  /** What the running subgraph offers the launcher and tests (its domain, its store). */
  exposed: Exposed;
  /** HTTP routes beside /graphql, /health and /ready (identity's /auth/* and JWKS). */
  routes?: Route[];
  /** The named row-level rules its schema's `@policy(policies: [[…]])` directives refer to. */
  policies?: Policies<Context>;
  /**
   * Which of its types are patient data and how to find an object's patient (ADR 0017): every read, write
   * and refusal of them is recorded, per request, in the subgraph's own outbox before the answer leaves.
   */
  audit?: AuditDeclaration<NoInfer<Context>>;
}

/** What every definition declares, whatever its store. */
interface SubgraphParts<Store, Settings, W extends Workers, Context extends RequestContext, Exposed> {
  name: string;
  engine: EngineName;
  /** Where it listens when nothing else says (the launcher gives every part its port from the registry). */
  port: number;
  typeDefs: DocumentNode;
  migrations: MigrationSource[];
  /** Every topic it produces to or consumes from: created at start, so consumers can subscribe early. */
  topics: string[];
  /** Its own environment variables (beyond the kit's PORT, HOST, LOG_LEVEL, DATABASE_*, KAFKA_BROKERS). */
  settings: z.ZodType<Settings>;
  createStore(database: SqlDatabase): Store;
  createApi(deps: ApiDeps<Store, Settings, W>): SubgraphApi<Context, Exposed>;
}

/**
 * Everything that makes one subgraph, declared once. The kit does the wiring: migrations, the outbox
 * relay, topics, workers, the server on the chosen engine, readiness, the process and its shutdown.
 */
export interface SqlSubgraphDefinition<
  Store,
  Settings,
  W extends Workers,
  Context extends RequestContext,
  Exposed,
> extends SubgraphParts<Store, Settings, W, Context, Exposed> {
  /** Its store in real mode; embedded mode runs both on PGlite (Postgres dialect). */
  store: 'postgres' | 'mysql';
  createWorkers?(deps: WorkerDeps<Store, Settings>): Promise<W> | W;
}

/** Where real mode's document store is: DATABASE_URL (mongodb://) and DATABASE_NAME. */
export interface DocumentStoreTarget {
  url: string;
  /** The database holding this subgraph's collections (default: the subgraph's name). */
  name: string;
  maxConnections: number;
  logger: Logger;
}

/** A store the subgraph opened itself, and how to close it (after the subgraph stopped). */
export interface OpenedStore<Store> {
  store: Store;
  close(): Promise<void>;
}

/**
 * A subgraph on MongoDB in real mode (a read model that produces no events). Real mode opens its store
 * with `connectStore` and has no SQL database: nothing is migrated and there is no outbox. Given a SQL
 * database (embedded mode, where every subgraph gets a PGlite schema), it runs `createStore` on that.
 * Either way its workers are built from the store alone.
 */
export interface MongoSubgraphDefinition<
  Store,
  Settings,
  W extends Workers,
  Context extends RequestContext,
  Exposed,
> extends SubgraphParts<Store, Settings, W, Context, Exposed> {
  store: 'mongo';
  connectStore(target: DocumentStoreTarget): Promise<OpenedStore<Store>>;
  createWorkers?(deps: Omit<WorkerDeps<Store, Settings>, 'database'>): Promise<W> | W;
}

export type SubgraphDefinition<Store, Settings, W extends Workers, Context extends RequestContext, Exposed> =
  | SqlSubgraphDefinition<Store, Settings, W, Context, Exposed>
  | MongoSubgraphDefinition<Store, Settings, W, Context, Exposed>;

/** Declares a subgraph (an identity function that lets TypeScript infer and check the pieces together). */
export function defineSubgraph<Store, Settings, W extends Workers, Context extends RequestContext, Exposed>(
  definition: MongoSubgraphDefinition<Store, Settings, W, Context, Exposed>,
): MongoSubgraphDefinition<Store, Settings, W, Context, Exposed>;
export function defineSubgraph<Store, Settings, W extends Workers, Context extends RequestContext, Exposed>(
  definition: SqlSubgraphDefinition<Store, Settings, W, Context, Exposed>,
): SqlSubgraphDefinition<Store, Settings, W, Context, Exposed>;
export function defineSubgraph<Store, Settings, W extends Workers, Context extends RequestContext, Exposed>(
  definition: SubgraphDefinition<Store, Settings, W, Context, Exposed>,
): SubgraphDefinition<Store, Settings, W, Context, Exposed> {
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: a definition of any subgraph, for code that runs them all
export type AnySubgraph = SubgraphDefinition<any, any, any, any, any>;
type StoreOf<D> = D extends SubgraphDefinition<infer S, infer _T, infer _W, infer _C, infer _E> ? S : never;
type SettingsOf<D> =
  D extends SubgraphDefinition<infer _S, infer T, infer _W, infer _C, infer _E> ? T : never;
type ExposedOf<D> = D extends SubgraphDefinition<infer _S, infer _T, infer _W, infer _C, infer E> ? E : never;
type WorkersOf<D> = D extends SubgraphDefinition<infer _S, infer _T, infer W, infer _C, infer _E> ? W : never;

/** The settings with every variable at its default, then the overrides. */
export function settingsOf<D extends AnySubgraph>(definition: D, overrides: Partial<SettingsOf<D>> = {}) {
  return { ...definition.settings.parse({}), ...overrides } as SettingsOf<D>;
}

export interface StartSubgraphOptions<D extends AnySubgraph> {
  /** The SQL database (migrations, outbox, createStore). Only a mongo subgraph given `store` goes without. */
  database?: SqlDatabase;
  /** A store opened already (a mongo subgraph's `connectStore` in real mode), used instead of createStore. */
  store?: StoreOf<D>;
  transport: EventTransport;
  logger: Logger;
  /** 0 = any free port. */
  port: number;
  host?: string;
  clock?: () => Date;
  /** Overrides of the subgraph's own settings; the rest take their defaults. */
  settings?: Partial<SettingsOf<D>>;
  /** Wraps the store the subgraph uses, e.g. to count calls in tests. */
  instrumentStore?: (store: StoreOf<D>) => StoreOf<D>;
  /** On stop, how long /ready answers 503 before the server stops accepting (default 0). */
  drainDelayMs?: number;
  /** Where the access tokens' keys come from (the identity subgraph's JWKS). */
  auth: KeySource;
}

export type RunningSubgraph<D extends AnySubgraph> = ExposedOf<D> & {
  name: string;
  url: string;
  port: number;
  workers: WorkersOf<D>;
  /** The outbox relay publishing its events. */
  relay: OutboxRelay;
  /** Stops taking requests, then the workers, then lets the relay publish what is pending. */
  stop(graceMs?: number): Promise<void>;
};

/**
 * Starts a subgraph over a database and a transport: the same wiring runs as its own process (real mode)
 * and inside the single embedded process. Order: migrate and relay, workers, then the server; stopping
 * runs the other way.
 */
export async function startSubgraph<D extends AnySubgraph>(
  definition: D,
  options: StartSubgraphOptions<D>,
): Promise<RunningSubgraph<D>> {
  const { database, transport, logger, host = '127.0.0.1' } = options;
  const clock = options.clock ?? (() => new Date());
  const settings = settingsOf(definition, options.settings);
  const relay = database
    ? await migrateAndStartOutbox({
        database,
        transport,
        logger,
        migrations: definition.migrations,
        topics: definition.topics,
      })
    : await withoutOutbox(definition, options, transport);
  const started: Worker[] = [];
  const stopWorkers = async () => {
    for (const worker of started.reverse()) await worker.stop();
  };
  try {
    const created = options.instrumentStore ?? ((store: StoreOf<D>) => store);
    const store = created(options.store ?? definition.createStore(database as SqlDatabase));
    const common = { transport, store, logger, clock, settings };
    const workers = ((definition.store === 'mongo'
      ? await definition.createWorkers?.(common)
      : await definition.createWorkers?.({ ...common, database: database as SqlDatabase })) ??
      {}) as WorkersOf<D>;
    for (const worker of Object.values(workers) as Worker[]) {
      await worker.start();
      started.push(worker);
    }
    const api = definition.createApi({ store, logger, clock, settings, workers });
    if (api.audit && !definition.topics.includes(api.audit.event.topic))
      await transport.ensureTopics([{ topic: api.audit.event.topic }]);
    const readiness: Record<string, ReadinessCheck> = { outbox: () => relay.state() === 'ready' };
    for (const [name, worker] of Object.entries(workers) as Array<[string, Worker]>) {
      const state = worker.state?.bind(worker);
      if (state) readiness[name] = () => state() === 'ready';
    }
    const server = createSubgraphServer({
      engine: definition.engine,
      typeDefs: definition.typeDefs,
      resolvers: api.resolvers,
      context: api.context,
      logger,
      readiness,
      auth: options.auth,
      ...(api.routes ? { routes: api.routes } : {}),
      ...(api.policies ? { policies: api.policies } : {}),
      ...(api.audit
        ? {
            audit: {
              ...api.audit,
              subgraph: definition.name,
              sink: outboxAuditSink(requireDatabase(database, definition), { event: api.audit.event }),
            },
          }
        : {}),
      ...(options.drainDelayMs === undefined ? {} : { drainDelayMs: options.drainDelayMs }),
    });
    const boundPort = await server.start(options.port, host);
    return {
      ...(api.exposed as object),
      name: definition.name,
      url: `http://${host}:${boundPort}/graphql`,
      port: boundPort,
      workers,
      relay,
      async stop(graceMs?: number) {
        await server.stop(graceMs);
        await stopWorkers();
        await relay.stop();
      },
    } as RunningSubgraph<D>;
  } catch (error) {
    await stopWorkers();
    await relay.stop();
    throw error;
  }
}

/**
 * A mongo subgraph opened by `connectStore` has no SQL database, so no outbox: it only creates its topics
 * (so its consumers can subscribe early), and its relay has nothing to publish.
 */
async function withoutOutbox(
  definition: AnySubgraph,
  options: { store?: unknown },
  transport: EventTransport,
): Promise<OutboxRelay> {
  if (definition.store !== 'mongo' || options.store === undefined)
    throw new Error(`${definition.name}: startSubgraph needs a database (only a mongo store may go without)`);
  await transport.ensureTopics(definition.topics.map((topic) => ({ topic })));
  let state: ComponentState = 'ready';
  return {
    start: async () => {},
    stop: async () => {
      state = 'stopped';
    },
    wake: () => {},
    state: () => state,
    stats: () => ({ published: 0, failures: 0 }),
  };
}

/** Auditing writes to the outbox: a subgraph without a SQL database holds no patient data to audit. */
function requireDatabase(database: SqlDatabase | undefined, definition: AnySubgraph): SqlDatabase {
  if (!database) throw new Error(`${definition.name} audits, which needs its SQL database's outbox`);
  return database;
}

export interface ServeSubgraphOptions<D extends AnySubgraph> {
  store: StoreOf<D>;
  logger: Logger;
  clock?: () => Date;
  settings?: Partial<SettingsOf<D>>;
  workers?: WorkersOf<D>;
  readiness?: Record<string, ReadinessCheck>;
  auth: KeySource;
  /** Where the audit records go, for a subgraph that audits (there is no outbox without a database). */
  auditSink?: AuditSink;
}

/** Only the API over a given store (no migrations, relay or workers): for tests of the server itself. */
export function serveSubgraph<D extends AnySubgraph>(definition: D, options: ServeSubgraphOptions<D>) {
  const api = definition.createApi({
    store: options.store,
    logger: options.logger,
    clock: options.clock ?? (() => new Date()),
    settings: settingsOf(definition, options.settings),
    workers: options.workers ?? {},
  });
  if (api.audit && !options.auditSink)
    throw new Error(`${definition.name} audits patient data: serveSubgraph needs an auditSink`);
  return createSubgraphServer({
    engine: definition.engine,
    typeDefs: definition.typeDefs,
    resolvers: api.resolvers,
    context: api.context,
    logger: options.logger,
    auth: options.auth,
    ...(api.routes ? { routes: api.routes } : {}),
    ...(api.policies ? { policies: api.policies } : {}),
    ...(api.audit && options.auditSink
      ? { audit: { ...api.audit, subgraph: definition.name, sink: options.auditSink } }
      : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
  });
}
