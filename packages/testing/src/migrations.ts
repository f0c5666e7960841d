import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MigrationSource } from '@hsg/kit/sql';

/** Writes migration files for a test into a fresh temporary folder. */
export async function temporaryMigrations(
  name: string,
  files: Record<string, string>,
): Promise<MigrationSource> {
  const dir = await mkdtemp(join(tmpdir(), `migrations-${name}-`));
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return { name, dir };
}
