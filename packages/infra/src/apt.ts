// Installs missing Debian packages without letting them start distro servers on the default ports.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { run, runChecked } from './proc.ts';

const POLICY_RC = '/usr/sbin/policy-rc.d';
const CREATECLUSTER_CONF = '/etc/postgresql-common/createcluster.conf';

/** The subset of `packages` that dpkg does not report as installed (one dpkg-query call, ≈15 ms). */
export async function missingPackages(packages: readonly string[]): Promise<string[]> {
  if (packages.length === 0) return [];
  // dpkg-query exits 1 when it does not know a package at all, but still prints the ones it knows.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${Field} format syntax
  const { stdout } = await run('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...packages]);
  const installed = new Set(
    stdout
      .split('\n')
      .filter((line) => line.endsWith(' install ok installed'))
      .map((line) => line.split(' ')[0]),
  );
  return packages.filter((pkg) => !installed.has(pkg));
}

const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

async function aptInstall(packages: readonly string[]): Promise<void> {
  const args = ['install', '-y', '-q', '--no-install-recommends', ...packages];
  await runChecked('apt-get', args, { env: aptEnv });
}

/** postgresql-common would otherwise create and start a `main` cluster on 5432 when postgresql-15 lands. */
async function disableMainCluster(): Promise<void> {
  const conf = await readFile(CREATECLUSTER_CONF, 'utf8');
  if (/^[ \t]*create_main_cluster[ \t]*=[ \t]*false/m.test(conf)) return;
  const cleaned = conf.replace(/^[ \t]*create_main_cluster[ \t]*=.*$/gm, '');
  await writeFile(CREATECLUSTER_CONF, `${cleaned.trimEnd()}\ncreate_main_cluster = false\n`);
}

/**
 * Installs whichever of `packages` are missing (apt-get update first). Returns what it installed.
 * A temporary policy-rc.d that exits 101 stops maintainer scripts from starting services.
 */
export async function ensurePackages(
  packages: readonly string[],
  log: (line: string) => void,
): Promise<string[]> {
  const missing = await missingPackages(packages);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages ${missing.join(' ')}: run as root or install them yourself`);
  }
  log(`installing Debian packages: ${missing.join(' ')} (apt-get, may take a minute)`);
  const ownPolicy = !existsSync(POLICY_RC);
  if (ownPolicy) await writeFile(POLICY_RC, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    await runChecked('apt-get', ['update', '-q'], { env: aptEnv });
    const wantsPostgres = missing.some((p) => p.startsWith('postgresql'));
    if (wantsPostgres) {
      if ((await missingPackages(['postgresql-common'])).length > 0) await aptInstall(['postgresql-common']);
      await disableMainCluster();
    }
    await aptInstall(missing);
  } finally {
    if (ownPolicy) await rm(POLICY_RC, { force: true });
  }
  return missing;
}
