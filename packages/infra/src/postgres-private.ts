// Private PostgreSQL servers for tests that stop and restart the database under a running app (the
// shared one from `infra up` must stay up for every other suite).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { host } from './config.ts';
import { freePort } from './net.ts';
import { asPostgres, BIN, isRoot } from './postgres.ts';
import { logTail, run, runChecked } from './proc.ts';

export type PrivatePostgres = {
  /** Superuser `postgres` on database `postgres`, no password (trust on 127.0.0.1 only). */
  url: string;
  port: number;
  /** Stops the server (fast: open sessions are terminated); data and port stay. */
  stop(): Promise<void>;
  /** Starts it again on the same data and port; resolves once it accepts connections. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it if running and removes its folder. */
  destroy(): Promise<void>;
};

export type StartPrivatePostgresOptions = {
  /** Folder for data and log (created if missing); a fresh temp folder when absent. */
  dir?: string;
};

/**
 * initdb into a folder of its own and start a server on a free port (fsync off: test data only). If the
 * calling process exits without destroy(), the server is stopped on the way out.
 */
export async function startPrivatePostgres(
  options: StartPrivatePostgresOptions = {},
): Promise<PrivatePostgres> {
  if (!existsSync(path.join(BIN, 'pg_ctl')))
    throw new Error(`postgres: ${BIN}/pg_ctl missing (postgresql-15)`);
  const dir = options.dir ? path.resolve(options.dir) : await mkdtemp(path.join(tmpdir(), 'pg-private-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'run', 'postgres.log');
  const runDir = path.dirname(logFile);
  for (const owned of [data, runDir]) await mkdir(owned, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o755); // mkdtemp makes it 700: the postgres user must get through it
  if (isRoot) await runChecked('chown', ['postgres:postgres', data, runDir]);
  const initdb = ['-D', data, '--no-sync', '-U', 'postgres', '--encoding=UTF8', '--locale=C.UTF-8'];
  // trust: the server listens on 127.0.0.1 only (no unix socket), for the test process's own use.
  await runChecked(...asPostgres('initdb', [...initdb, '--auth-local=trust', '--auth-host=trust']), {
    cwd: dir,
  });
  const port = await freePort();
  await appendFile(
    path.join(data, 'postgresql.conf'),
    [
      '',
      '# Written by startPrivatePostgres: TCP on loopback only, no unix socket, test-only durability.',
      `listen_addresses = '${host}'`,
      `port = ${port}`,
      "unix_socket_directories = ''",
      'max_connections = 50',
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      '',
    ].join('\n'),
  );

  const pgCtl = (args: string[]) => run(...asPostgres('pg_ctl', ['-D', data, ...args]), { cwd: dir });
  const stopOnExit = () => {
    spawnSync(...asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']), {
      cwd: dir,
      stdio: 'ignore',
    });
  };
  let running = false;

  async function start(): Promise<void> {
    const result = await pgCtl(['-l', logFile, '-w', '-t', '60', 'start']);
    if (result.code !== 0) {
      throw new Error(`private postgres did not start (log: ${logFile})\n${await logTail(logFile, 10)}`);
    }
    if (!running) process.once('exit', stopOnExit);
    running = true;
  }

  async function stop(): Promise<void> {
    const result = await pgCtl(['-m', 'fast', '-w', '-t', '60', 'stop']);
    if (result.code !== 0) throw new Error(`private postgres did not stop:\n${result.stderr.trim()}`);
    process.off('exit', stopOnExit);
    running = false;
  }

  await start();
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    port,
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    async destroy() {
      if (running) await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
