// `npm run infra -- up|down|status|env [service...]`: shared test infrastructure without Docker.

import path from 'node:path';
import { ensurePackages } from './apt.ts';
import { defaultInfraEnv, host, infraDir } from './config.ts';
import { withLock } from './lock.ts';
import type { Service } from './service.ts';
import { selectServices } from './services.ts';

const USAGE = `usage: npm run infra -- <up|down|status|env> [postgres|mariadb|kafka|mongo ...]
  up      provision what is missing, start what is not running, wait until healthy
  down    stop the services started from this state folder (data stays)
  status  one line per service: up/down, port, pid
  env     shell-sourceable connection settings (use npm run -s to drop npm's header)`;

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)}s`;
const pad = (s: string, n: number): string => s.padEnd(n);

async function up(services: Service[]): Promise<boolean> {
  const states = await Promise.all(services.map((s) => s.state()));
  const needed = services.filter((_, i) => !states[i]?.running).flatMap((s) => s.packages);
  if (needed.length > 0) {
    const t0 = performance.now();
    const installed = await ensurePackages([...new Set(needed)], say);
    if (installed.length > 0) say(`installed ${installed.join(' ')} in ${seconds(t0)}`);
  }
  // Independent servers start in parallel; Maven downloads serialise themselves behind a lock.
  const results = await Promise.all(
    services.map(async (s) => {
      const t0 = performance.now();
      try {
        const before = states[services.indexOf(s)];
        if (before?.running && before.port !== s.port) {
          throw new Error(
            `runs on port ${before.port}, not the configured ${s.port}: run \`npm run infra -- down ${s.name}\` first`,
          );
        }
        const outcome = await s.up();
        const { pid } = await s.state();
        say(`${pad(s.name, 9)}${pad(outcome, 9)}${host}:${s.port}  pid ${pid ?? '?'}  ${seconds(t0)}`);
        return true;
      } catch (error) {
        const message = (error as Error).message;
        console.error(`${pad(s.name, 9)}FAILED   ${message}`);
        if (!message.includes('log:')) console.error(`${pad('', 18)}(log: ${s.logFile})`);
        return false;
      }
    }),
  );
  return results.every(Boolean);
}

async function down(services: Service[]): Promise<boolean> {
  const results = await Promise.all(
    services.map(async (s) => {
      const t0 = performance.now();
      try {
        const stopped = await s.down();
        say(`${pad(s.name, 9)}${stopped ? `stopped  ${seconds(t0)}` : 'not running'}`);
        return true;
      } catch (error) {
        console.error(`${pad(s.name, 9)}FAILED to stop: ${(error as Error).message}`);
        return false;
      }
    }),
  );
  return results.every(Boolean);
}

async function status(services: Service[]): Promise<boolean> {
  const states = await Promise.all(services.map((s) => s.state()));
  services.forEach((s, i) => {
    const st = states[i];
    const pid = st?.pid ? `pid ${st.pid}` : '';
    say(
      `${pad(s.name, 9)}${pad(st?.running ? 'up' : 'down', 6)}${pad(`${host}:${st?.port ?? s.port}`, 17)}${pid}`.trimEnd(),
    );
  });
  return true;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...names] = argv;
  if (command === 'env') {
    for (const [key, value] of Object.entries(defaultInfraEnv())) say(`${key}=${value}`);
    return 0;
  }
  const actions: Record<string, (s: Service[]) => Promise<boolean>> = { up, down, status };
  const action = command ? actions[command] : undefined;
  if (!action) {
    console.error(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
  const services = selectServices(names);
  // Two `up`s at once (two terminals, a test setup) would race to start the same servers: queue them.
  const ok =
    command === 'up'
      ? await withLock(path.join(infraDir(), '.up.lock'), () => up(services))
      : await action(services);
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`infra: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
