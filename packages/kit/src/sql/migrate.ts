import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql, type Transaction } from 'kysely';
import { quoteIdentifier } from './postgres-common.ts';
import type { SqlDatabase } from './types.ts';

/** A folder of versioned SQL files named `NNNN_description.sql`, applied in version order. */
export interface MigrationSource {
  /** Distinguishes sources sharing one namespace, e.g. the kit's outbox tables and the service's own. */
  name: string;
  dir: string;
}

interface MigrationFile {
  source: string;
  version: number;
  name: string;
  text: string;
  checksum: string;
}

const fileName = /^(\d{4,})_([\w-]+)\.sql$/;

async function readSource(source: MigrationSource): Promise<MigrationFile[]> {
  const names = (await readdir(source.dir)).filter((name) => name.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = fileName.exec(name);
    if (!match?.[1] || !match[2]) throw new Error(`Migration file name must be NNNN_name.sql: ${name}`);
    const text = await readFile(join(source.dir, name), 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex');
    files.push({ source: source.name, version: Number(match[1]), name: match[2], text, checksum });
  }
  return files;
}

/**
 * Applies pending migrations in one transaction under an advisory lock held for the namespace, so running
 * it twice is a no-op and two processes starting at once apply each file exactly once. An applied file
 * whose content changed is refused: migrations are append-only.
 */
export async function runMigrations(database: SqlDatabase, sources: MigrationSource[]): Promise<string[]> {
  if (database.dialect !== 'postgres')
    throw new Error(`Migrations for ${database.dialect} are not built yet`);
  const files = (await Promise.all(sources.map(readSource))).flat();
  return database.transaction(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`migrations:${database.namespace}`}))`.execute(trx);
    await sql`create schema if not exists ${sql.raw(quoteIdentifier(database.namespace))}`.execute(trx);
    await sql`create table if not exists kit_migrations (
      source text not null, version int not null, name text not null, checksum text not null,
      applied_at timestamptz not null default now(), primary key (source, version))`.execute(trx);
    const applied = await appliedChecksums(trx);
    const done: string[] = [];
    for (const file of files) {
      const key = `${file.source}:${file.version}`;
      const checksum = applied.get(key);
      if (checksum === file.checksum) continue;
      if (checksum !== undefined) throw new Error(`Applied migration ${key}_${file.name} was changed`);
      await sql.raw(file.text).execute(trx);
      await sql`insert into kit_migrations (source, version, name, checksum)
        values (${file.source}, ${file.version}, ${file.name}, ${file.checksum})`.execute(trx);
      done.push(`${key}_${file.name}`);
    }
    return done;
  });
}

async function appliedChecksums(trx: Transaction<unknown>): Promise<Map<string, string>> {
  const { rows } = await sql<{ source: string; version: number; checksum: string }>`
    select source, version, checksum from kit_migrations`.execute(trx);
  return new Map(rows.map((row) => [`${row.source}:${row.version}`, row.checksum]));
}
