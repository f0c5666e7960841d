// MariaDB from the Debian package, isolated from /etc/mysql by its own my.cnf, data in the state folder.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { host, infraDir, infraPorts } from './config.ts';
import { isPortOpen } from './net.ts';
import { isOurProcess, logTail, readPidFile, run, runChecked, spawnLogged, terminate } from './proc.ts';
import { portInUse, type Service, socketDirFor } from './service.ts';
import { waitUntil } from './wait.ts';

const isRoot = process.getuid?.() === 0;

// Tests create and drop a database per test, hence ALL PRIVILEGES ON *.* (MariaDB has no CREATEDB).
const SETUP_SQL = ['127.0.0.1', 'localhost']
  .map(
    (h) =>
      `CREATE USER IF NOT EXISTS 'app'@'${h}' IDENTIFIED BY 'app'; ` +
      `ALTER USER 'app'@'${h}' IDENTIFIED BY 'app'; GRANT ALL PRIVILEGES ON *.* TO 'app'@'${h}';`,
  )
  .concat('CREATE DATABASE IF NOT EXISTS app; FLUSH PRIVILEGES;')
  .join('\n');

export function mariadbService(): Service {
  const port = infraPorts().mysql;
  const base = path.join(infraDir(), 'mariadb');
  const data = path.join(base, 'data');
  const socketDir = socketDirFor(path.join(base, 'run'), 'mysqld.sock');
  const socket = path.join(socketDir, 'mysqld.sock');
  const pidFile = path.join(base, 'mariadbd.pid');
  const logFile = path.join(base, 'mariadb.log');
  const cnf = path.join(base, 'my.cnf');
  const setupMarker = path.join(base, 'setup.done');
  // Client tools get --no-defaults so nothing from /etc/mysql or ~/.my.cnf interferes.
  const rootClient = ['--no-defaults', `--socket=${socket}`, '--user=root'];

  async function writeConfig(): Promise<void> {
    const lines = [
      '# Written by packages/infra on every start: edits here are lost.',
      '[mariadbd]',
      ...(isRoot ? ['user=root'] : []), // mariadbd refuses to run as root unless told so
      `datadir=${data}`,
      `port=${port}`,
      `bind-address=${host}`,
      `socket=${socket}`,
      `pid-file=${pidFile}`,
      `log-error=${logFile}`,
      'skip-name-resolve',
      'skip-log-bin',
      'character-set-server=utf8mb4',
      'collation-server=utf8mb4_unicode_ci',
      'max_connections=200',
      'innodb_buffer_pool_size=64M',
      '# Test-only durability trade-offs.',
      'innodb_flush_log_at_trx_commit=2',
      'innodb_doublewrite=0',
      '',
    ];
    await writeFile(cnf, lines.join('\n'));
  }

  async function state() {
    const pid = await readPidFile(pidFile);
    // my.cnf is only rewritten when starting, so it holds the running server's port.
    const written = /^port=(\d+)$/m.exec(await readFile(cnf, 'utf8').catch(() => ''))?.[1];
    const actualPort = written ? Number(written) : port;
    const running = isOurProcess(pid, cnf) && (await isPortOpen(actualPort));
    return { running, pid: running ? pid : undefined, port: running ? actualPort : port };
  }

  async function pingable(): Promise<boolean> {
    return (await run('mariadb-admin', [...rootClient, 'ping'])).code === 0;
  }

  async function ensureSetup(): Promise<void> {
    if (existsSync(setupMarker)) return;
    await runChecked('mariadb', [...rootClient, '-e', SETUP_SQL]);
    await writeFile(setupMarker, `${new Date().toISOString()}\n`);
  }

  async function up(): Promise<'started' | 'running'> {
    if ((await state()).running) {
      await ensureSetup();
      return 'running';
    }
    if (!existsSync('/usr/sbin/mariadbd'))
      throw new Error('mariadb: /usr/sbin/mariadbd missing (mariadb-server)');
    if (await isPortOpen(port)) throw portInUse('mariadb', port);
    await mkdir(base, { recursive: true });
    await mkdir(socketDir, { recursive: true });
    await writeConfig();
    if (!existsSync(path.join(data, 'mysql'))) {
      // Root authenticates by unix socket as OS root; without root, a passwordless socket-only root.
      const auth = isRoot ? 'socket' : 'normal';
      await runChecked('mariadb-install-db', [
        `--defaults-file=${cnf}`, // must come first
        ...(isRoot ? ['--user=root'] : []),
        `--datadir=${data}`,
        `--auth-root-authentication-method=${auth}`,
        '--skip-test-db',
      ]);
    }
    // mariadbd has no daemonize flag: start it in its own session and poll until it answers.
    const child = spawnLogged('/usr/sbin/mariadbd', [`--defaults-file=${cnf}`], { logFile, detached: true });
    let exited: Error | undefined;
    child.once('exit', (code) => (exited = new Error(`mariadb exited with ${code} while starting`)));
    try {
      await waitUntil('mariadb to answer ping', pingable, { timeoutMs: 60_000, abort: () => exited });
    } catch (error) {
      throw new Error(`${(error as Error).message} (log: ${logFile})\n${await logTail(logFile, 10)}`);
    }
    await ensureSetup();
    return 'started';
  }

  async function down(): Promise<boolean> {
    const pid = await readPidFile(pidFile);
    if (!pid || !isOurProcess(pid, cnf)) return false;
    // A clean shutdown flushes InnoDB; fall back to SIGTERM (also clean) if the admin call fails.
    await run('mariadb-admin', [...rootClient, 'shutdown']);
    await terminate(pid, cnf, 60_000);
    return true;
  }

  return { name: 'mariadb', port, logFile, packages: ['mariadb-server', 'mariadb-client'], state, up, down };
}
