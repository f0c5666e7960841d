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

/** Real Postgres from `npm run infra -- up`: each namespace is a schema, dropped at dispose. */
export function realPostgresBackend(): SqlBackend {
  const url = infraEnv().DATABASE_URL;
  const namespaces = new Set<string>();
  const opened: SqlDatabase[] = [];
  return {
    name: 'postgres',
    dialect: 'postgres',
    newNamespace: () => {
      const name = uniqueName('t');
      namespaces.add(name);
      return name;
    },
    async open(schema) {
      const database = await createPgDatabase({ url, schema, maxConnections: 4 });
      opened.push(database);
      return database;
    },
    async dispose() {
      for (const database of opened.splice(0)) await database.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      for (const schema of namespaces) await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}

/** One in-memory PGlite for the whole suite, a schema per namespace (as in embedded mode). */
export function pgliteBackend(): SqlBackend {
  let embedded: Promise<EmbeddedPostgres> | undefined;
  return {
    name: 'pglite',
    dialect: 'postgres',
    newNamespace: () => uniqueName('t'),
    async open(schema) {
      embedded ??= EmbeddedPostgres.open();
      return (await embedded).database(schema);
    },
    async dispose() {
      if (embedded) await (await embedded).close();
    },
  };
}

/** Real MariaDB from `npm run infra -- up`: each namespace is a database, dropped at dispose. */
export function realMysqlBackend(): SqlBackend {
  const url = infraEnv().MYSQL_URL;
  const namespaces = new Set<string>();
  const opened: SqlDatabase[] = [];
  return {
    name: 'mariadb',
    dialect: 'mysql',
    newNamespace: () => {
      const name = uniqueName('t');
      namespaces.add(name);
      return name;
    },
    async open(database) {
      const opened_ = await createMysqlDatabase({ url, database, maxConnections: 4 });
      opened.push(opened_);
      return opened_;
    },
    async dispose() {
      for (const database of opened.splice(0)) await database.close();
      const pool = createPool({ uri: url, connectionLimit: 1 }).promise();
      for (const database of namespaces) await pool.query(`drop database if exists \`${database}\``);
      await pool.end();
    },
  };
}
