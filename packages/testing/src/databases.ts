import { infraEnv } from '@hsg/infra';
import {
  createMysqlDatabase,
  createPgDatabase,
  EmbeddedPostgres,
  type SqlDatabase,
  type SqlDialect,
} from '@hsg/kit/sql';
import { createPool } from 'mysql2';
import pg from 'pg';
import { uniqueName } from './names.ts';

/** Opens databases in namespaces of one backend; what a contract suite needs from an implementation. */
export interface SqlBackend {
  readonly name: string;
  readonly dialect: SqlDialect;
  /** A new namespace name nobody else uses. */
  newNamespace(): string;
  open(namespace: string): Promise<SqlDatabase>;
  /** Removes everything the tests put in the backend. */
  dispose(): Promise<void>;
}

/**
 * A real server from `npm run infra -- up`: each namespace is created on open and every namespace the
 * suite used is dropped at dispose.
 */
function realServerBackend(options: {
  name: string;
  dialect: SqlDialect;
  open(namespace: string): Promise<SqlDatabase>;
  drop(namespaces: string[]): Promise<void>;
}): SqlBackend {
  const namespaces = new Set<string>();
  const opened: SqlDatabase[] = [];
  return {
    name: options.name,
    dialect: options.dialect,
    newNamespace: () => {
      const name = uniqueName('t');
      namespaces.add(name);
      return name;
    },
    async open(namespace) {
      const database = await options.open(namespace);
      opened.push(database);
      return database;
    },
    async dispose() {
      for (const database of opened.splice(0)) await database.close();
      await options.drop([...namespaces]);
    },
  };
}

/** Real Postgres: each namespace is a schema. */
export function realPostgresBackend(): SqlBackend {
  const url = infraEnv().DATABASE_URL;
  return realServerBackend({
    name: 'postgres',
    dialect: 'postgres',
    open: (schema) => createPgDatabase({ url, schema, maxConnections: 4 }),
    async drop(schemas) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  });
}

/** Real MariaDB: each namespace is a database. */
export function realMysqlBackend(): SqlBackend {
  const url = infraEnv().MYSQL_URL;
  return realServerBackend({
    name: 'mariadb',
    dialect: 'mysql',
    open: (database) => createMysqlDatabase({ url, database, maxConnections: 4 }),
    async drop(databases) {
      const pool = createPool({ uri: url, connectionLimit: 1 }).promise();
      for (const database of databases) await pool.query(`drop database if exists \`${database}\``);
      await pool.end();
    },
  });
}

/**
 * One PGlite for the whole suite, a schema per namespace (as in embedded mode). In memory unless given a
 * data directory (owned by the caller); dispose closes it, and a later open reopens the same directory,
 * which is how tests restart the embedded store.
 */
export function pgliteBackend(options: { dataDir?: string } = {}): SqlBackend {
  let embedded: Promise<EmbeddedPostgres> | undefined;
  const opened: SqlDatabase[] = [];
  return {
    name: 'pglite',
    dialect: 'postgres',
    newNamespace: () => uniqueName('t'),
    async open(schema) {
      embedded ??= EmbeddedPostgres.open(options.dataDir ? { dataDir: options.dataDir } : {});
      const database = await (await embedded).database(schema);
      opened.push(database);
      return database;
    },
    async dispose() {
      for (const database of opened.splice(0)) await database.close();
      if (embedded) await (await embedded).close();
      embedded = undefined;
    },
  };
}
