// PostgreSQL 15 from the Debian package, run by hand as the `postgres` user (it refuses to run as root)
// with its data under the state folder.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { host, infraDir, infraPorts } from './config.ts';
import { isPortOpen } from './net.ts';
import { isOurProcess, logTail, readPidFile, run, runChecked } from './proc.ts';
import { portInUse, type Service, socketDirFor } from './service.ts';

export const BIN = '/usr/lib/postgresql/15/bin';
export const isRoot = process.getuid?.() === 0;

/** Runs a Postgres binary as the postgres user when we are root (runuser: sudo is not installed). */
export function asPostgres(bin: string, args: readonly string[]): [string, string[]] {
  const cmd = path.join(BIN, bin);
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, [...args]];
}

// Idempotent: safe to run again on an existing cluster. btree_gist in template1 so that per-test
// databases created by tests inherit it.
const SETUP_SQL = `
SELECT 'CREATE ROLE app' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') \\gexec
ALTER ROLE app LOGIN CREATEDB PASSWORD 'app';
SELECT 'CREATE DATABASE app OWNER app' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'app') \\gexec
\\connect app
CREATE EXTENSION IF NOT EXISTS btree_gist;
\\connect template1
CREATE EXTENSION IF NOT EXISTS btree_gist;
`;

export function postgresService(): Service {
  const port = infraPorts().postgres;
  const base = path.join(infraDir(), 'postgres');
  const data = path.join(base, 'data');
  const runDir = path.join(base, 'run');
  const socketDir = socketDirFor(runDir, `.s.PGSQL.${port}`);
  const logFile = path.join(runDir, 'postgres.log');
  const setupMarker = path.join(base, 'setup.done');

  async function ownedByPostgres(...dirs: string[]): Promise<void> {
    for (const dir of dirs) await mkdir(dir, { recursive: true, mode: 0o700 });
    if (isRoot) await runChecked('chown', ['postgres:postgres', ...dirs]);
  }

  async function state() {
    const pidFile = path.join(data, 'postmaster.pid');
    const pid = await readPidFile(pidFile);
    // postmaster.pid: pid, data dir, start time, port, ...
    const actualPort = (await readPidFile(pidFile, 3)) ?? port;
    const running = isOurProcess(pid, data) && (await isPortOpen(actualPort));
    return { running, pid: running ? pid : undefined, port: running ? actualPort : port };
  }

  async function initdb(): Promise<void> {
    const args = ['-D', data, '--no-sync', '-U', 'postgres', '--encoding=UTF8', '--locale=C.UTF-8'];
    await runChecked(...asPostgres('initdb', [...args, '--auth-local=trust', '--auth-host=scram-sha-256']), {
      cwd: base,
    });
    // Our settings live in a file we rewrite on every start, so a changed port is picked up.
    await appendFile(path.join(data, 'postgresql.conf'), "\ninclude_if_exists = 'infra.conf'\n");
  }

  async function writeSettings(): Promise<void> {
    const file = path.join(data, 'infra.conf');
    await writeFile(
      file,
      [
        '# Written by packages/infra on every start: edits here are lost.',
        `listen_addresses = '${host}'`,
        `port = ${port}`,
        `unix_socket_directories = '${socketDir}'`,
        'max_connections = 200',
        'shared_buffers = 32MB',
        '# Test-only durability trade-offs: a crash may lose recent commits, which tests can afford.',
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        '',
      ].join('\n'),
    );
    if (isRoot) await runChecked('chown', ['postgres:postgres', file]);
  }

  async function ensureSetup(): Promise<void> {
    if (existsSync(setupMarker)) return;
    // Local socket auth is `trust`, so root may connect as the postgres superuser without runuser.
    const psql = path.join(BIN, 'psql');
    await runChecked(
      psql,
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        socketDir,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-f',
        '-',
      ],
      {
        input: SETUP_SQL,
      },
    );
    await writeFile(setupMarker, `${new Date().toISOString()}\n`);
  }

  async function up(): Promise<'started' | 'running'> {
    if ((await state()).running) {
      await ensureSetup();
      return 'running';
    }
    if (!existsSync(path.join(BIN, 'pg_ctl')))
      throw new Error(`postgres: ${BIN}/pg_ctl missing (postgresql-15)`);
    if (await isPortOpen(port)) throw portInUse('postgres', port);
    await mkdir(base, { recursive: true });
    await ownedByPostgres(data, runDir, socketDir);
    if (isRoot && (await run('runuser', ['-u', 'postgres', '--', 'test', '-x', base])).code !== 0) {
      throw new Error(`postgres: the postgres user cannot reach ${base}; give its parent folders o+x`);
    }
    if (!existsSync(path.join(data, 'PG_VERSION'))) await initdb();
    await writeSettings();
    const start = ['-D', data, '-l', logFile, '-w', '-t', '60', 'start'];
    const result = await run(...asPostgres('pg_ctl', start), { cwd: base });
    if (result.code !== 0) {
      throw new Error(`postgres did not start (log: ${logFile})\n${await logTail(logFile, 10)}`);
    }
    await ensureSetup();
    return 'started';
  }

  async function down(): Promise<boolean> {
    const pid = await readPidFile(path.join(data, 'postmaster.pid'));
    if (!isOurProcess(pid, data)) return false;
    // fast: roll back open transactions and disconnect clients instead of waiting for them.
    await runChecked(...asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']), {
      cwd: base,
    });
    return true;
  }

  return { name: 'postgres', port, logFile, packages: ['postgresql-15'], state, up, down };
}
