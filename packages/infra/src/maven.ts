// Fetches a pom's runtime jars from Maven Central into a cached folder, once (until the pom changes).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { infraDir } from './config.ts';
import { withLock } from './lock.ts';
import { logTail, run } from './proc.ts';

const MARKER = '.complete';

async function pomHash(pom: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(pom))
    .digest('hex');
}

async function isCurrent(libsDir: string, hash: string): Promise<boolean> {
  return (await readFile(path.join(libsDir, MARKER), 'utf8').catch(() => '')) === hash;
}

/**
 * Makes libsDir hold the runtime dependencies of `pom` (a packaging-pom dependency list). Maven's
 * output goes to logFile (it prints colour codes even with -q). Returns true when it had to download.
 */
export async function ensureMavenLibs(pom: string, libsDir: string, logFile: string): Promise<boolean> {
  const hash = await pomHash(pom);
  if (await isCurrent(libsDir, hash)) return false;
  // One Maven at a time per state folder: its local repository is not safe for concurrent writers.
  return withLock(path.join(infraDir(), '.maven.lock'), async () => {
    if (await isCurrent(libsDir, hash)) return false;
    const tmp = `${libsDir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(path.dirname(logFile), { recursive: true });
    const args = ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime'];
    const result = await run('mvn', [...args, `-DoutputDirectory=${tmp}`]);
    await writeFile(logFile, `${result.stdout}${result.stderr}`);
    if (result.code !== 0 || !existsSync(tmp)) {
      await rm(tmp, { recursive: true, force: true });
      throw new Error(
        `Maven could not fetch the jars of ${pom} (log: ${logFile})\n${await logTail(logFile, 10)}`,
      );
    }
    await writeFile(path.join(tmp, MARKER), hash);
    // Swap in the complete folder at once so a reader never sees half a classpath.
    await rm(libsDir, { recursive: true, force: true });
    await rename(tmp, libsDir);
    return true;
  });
}
