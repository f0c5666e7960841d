import { infraEnv } from '@hsg/infra';
import { createPgDatabase, EmbeddedPostgres, type SqlDatabase } from '@hsg/kit/sql';
import pg from 'pg';
import { uniqueName } from './names.ts';

/** Opens databases in namespaces of one backend; what a contract suite needs from an implementation. */
export interface SqlBackend {
  readonly name: string;
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
