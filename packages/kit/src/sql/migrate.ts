import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { withMysqlLock } from './mysql.ts';
import { quoteIdentifier } from './postgres-common.ts';
import type { AnyKysely, SqlDatabase, SqlDialect } from './types.ts';

/** A folder of versioned SQL files named `NNNN_description.sql`, applied in version order. */
export interface MigrationSource {
  /** Distinguishes sources sharing one namespace, e.g. the kit's outbox tables and the service's own. */
  name: string;
  /** One folder for every dialect, or one per dialect (MySQL and Postgres DDL differ). */
  dir: string | Partial<Record<SqlDialect, string>>;
}

interface MigrationFile {
  source: string;
  version: number;
  name: string;
  text: string;
  checksum: string;
}

const fileName = /^(\d{4,})_([\w-]+)\.sql$/;

async function readSource(source: MigrationSource, dialect: SqlDialect): Promise<MigrationFile[]> {
  const dir = typeof source.dir === 'string' ? source.dir : source.dir[dialect];
  if (!dir) throw new Error(`Migration source ${source.name} has no ${dialect} migrations`);
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = fileName.exec(name);
    if (!match?.[1] || !match[2]) throw new Error(`Migration file name must be NNNN_name.sql: ${name}`);
    const text = await readFile(join(dir, name), 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex');
    files.push({ source: source.name, version: Number(match[1]), name: match[2], text, checksum });
  }
  return files;
}

/**
 * Postgres: applies pending migrations in one transaction under an advisory lock held for the namespace, so running
 * it twice is a no-op and two processes starting at once apply each file exactly once. An applied file
 * whose content changed is refused: migrations are append-only.
 */
export async function runMigrations(database: SqlDatabase, sources: MigrationSource[]): Promise<string[]> {
  const files = (await Promise.all(sources.map((source) => readSource(source, database.dialect)))).flat();
  if (database.dialect === 'mysql') return runMysqlMigrations(database, files);
  return database.transaction(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`migrations:${database.namespace}`}))`.execute(trx);
    await sql`create schema if not exists ${sql.raw(quoteIdentifier(database.namespace))}`.execute(trx);
    await sql`create table if not exists kit_migrations (
      source text not null, version int not null, name text not null, checksum text not null,
      applied_at timestamptz not null default now(), primary key (source, version))`.execute(trx);
    return applyPending(trx, files, (file) => sql.raw(file.text).execute(trx));
  });
}

/**
 * MySQL commits DDL statement by statement, so a file cannot be atomic there: files run one statement at a
 * time under a session lock (GET_LOCK), each recorded once it completed.
 */
async function runMysqlMigrations(database: SqlDatabase, files: MigrationFile[]): Promise<string[]> {
  return withMysqlLock(database, `migrations:${database.namespace}`, async (connection) => {
    await sql`create table if not exists kit_migrations (
      source varchar(100) not null, version int not null, name varchar(200) not null, checksum char(64) not null,
      applied_at timestamp(3) not null default current_timestamp(3), primary key (source, version))`.execute(
      connection,
    );
    return applyPending(connection, files, async (file) => {
      for (const statement of splitStatements(file.text)) await sql.raw(statement).execute(connection);
    });
  });
}

/** Statements end with `;` at the end of a line; `--` comments are dropped. Enough for our own files. */
export function splitStatements(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

async function applyPending(
  executor: AnyKysely,
  files: MigrationFile[],
  apply: (file: MigrationFile) => Promise<unknown>,
): Promise<string[]> {
  const applied = await appliedChecksums(executor);
  const done: string[] = [];
  for (const file of files) {
    const key = `${file.source}:${file.version}`;
    const checksum = applied.get(key);
    if (checksum === file.checksum) continue;
    if (checksum !== undefined) throw new Error(`Applied migration ${key}_${file.name} was changed`);
    await apply(file);
    await sql`insert into kit_migrations (source, version, name, checksum)
      values (${file.source}, ${file.version}, ${file.name}, ${file.checksum})`.execute(executor);
    done.push(`${key}_${file.name}`);
  }
  return done;
}

async function appliedChecksums(trx: AnyKysely): Promise<Map<string, string>> {
  const { rows } = await sql<{ source: string; version: number; checksum: string }>`
    select source, version, checksum from kit_migrations`.execute(trx);
  return new Map(rows.map((row) => [`${row.source}:${row.version}`, row.checksum]));
}
