import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { Mutex } from 'async-mutex';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import { OID, parseDate, parseInt8, postgresNotify, quoteIdentifier } from './postgres-common.ts';
import { assertIdentifier, observeQueries, type QueryObserver, type SqlDatabase } from './types.ts';

/**
 * One embedded Postgres (PGlite, WASM) shared by every service of a single-process run, each service in a
 * schema of its own. PGlite has exactly one session, so a mutex hands it to one Kysely "connection" at a
 * time (a whole transaction holds it) and switches search_path to that connection's schema.
 */
export class EmbeddedPostgres {
  readonly pglite: PGlite;
  readonly session = new Mutex();
  #searchPath: string | undefined;

  private constructor(pglite: PGlite) {
    this.pglite = pglite;
  }

  /** dataDir persists across restarts; omit it for an in-memory database. */
  static async open(options: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<EmbeddedPostgres> {
    const pglite = await PGlite.create({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      extensions: { btree_gist },
      parsers: { [OID.int8]: parseInt8, [OID.date]: parseDate },
    });
    await pglite.exec('create extension if not exists btree_gist');
    return new EmbeddedPostgres(pglite);
  }

  /** A SqlDatabase over this instance whose tables live in `schema`. */
  async database(schema: string, options: { onQuery?: QueryObserver } = {}): Promise<SqlDatabase> {
    assertIdentifier('schema', schema); // created by runMigrations, under its lock
    const db = new Kysely<unknown>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new PgliteDriver(this, schema),
        createIntrospector: (kysely) => new PostgresIntrospector(kysely),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
      ...observeQueries(options.onQuery),
    });
    return {
      dialect: 'postgres',
      db,
      namespace: schema,
      transaction: (fn) => db.transaction().execute(fn),
      notify: postgresNotify,
      listen: async (channel, onNotify) => {
        const unlisten = await this.pglite.listen(assertIdentifier('channel', channel), onNotify);
        return async () => {
          if (!this.pglite.closed) await unlisten();
        };
      },
      close: () => db.destroy(),
    };
  }

  /** Takes the session for `schema`; the caller must call the returned release. */
  async acquire(schema: string): Promise<() => void> {
    const release = await this.session.acquire();
    try {
      if (this.#searchPath !== schema) {
        await this.pglite.exec(`set search_path to ${quoteIdentifier(schema)}`);
        this.#searchPath = schema;
      }
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  async close(): Promise<void> {
    await this.session.runExclusive(() => this.pglite.close());
  }
}

class PgliteDriver implements Driver {
  readonly #embedded: EmbeddedPostgres;
  readonly #schema: string;
  readonly #releases = new WeakMap<DatabaseConnection, () => void>();

  constructor(embedded: EmbeddedPostgres, schema: string) {
    this.#embedded = embedded;
    this.#schema = schema;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#embedded.acquire(this.#schema);
    const connection = new PgliteConnection(this.#embedded.pglite);
    this.#releases.set(connection, release);
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).run('begin');
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).run('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).run('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#releases.get(connection)?.();
    this.#releases.delete(connection);
  }

  async destroy(): Promise<void> {}
}

const commandsWithRowCount = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

class PgliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  async run(statement: string): Promise<void> {
    await this.#pglite.exec(statement);
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // Like node-postgres: without parameters use the simple protocol, which also runs multi-statement
    // scripts (migrations); its last statement's result is the answer.
    const result =
      compiled.parameters.length === 0
        ? (await this.#pglite.exec(compiled.sql)).at(-1)
        : await this.#pglite.query<R>(compiled.sql, [...compiled.parameters]);
    const rows = (result?.rows ?? []) as R[];
    const command = (result as { command?: string } | undefined)?.command ?? '';
    if (commandsWithRowCount.has(command)) {
      return { rows, numAffectedRows: BigInt(result?.affectedRows ?? 0) };
    }
    return { rows };
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered by this driver
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streamQuery is not supported on PGlite');
  }
}
