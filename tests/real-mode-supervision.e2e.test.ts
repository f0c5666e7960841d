import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isPortFree } from '@hsg/infra';
import { portEnvOf } from '@hsg/launcher/port-env';
import { dropRealModeStores, freePorts } from '@hsg/launcher/real';
import { uniqueName, waitFor } from '@hsg/testing';
import { afterAll, expect, it } from '@jest/globals';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const storePrefix = `${uniqueName('supervise')}_`;
let launcher: ChildProcess | undefined;

afterAll(async () => {
  if (launcher?.pid && launcher.exitCode === null) process.kill(-launcher.pid, 'SIGKILL'); // after a failure
  await dropRealModeStores(storePrefix);
}, 60_000);

it('stops every part loudly when one of them dies under npm run start:real', async () => {
  const ports = await freePorts();
  launcher = spawn(process.execPath, ['launcher/src/real.ts'], {
    cwd: repoRoot,
    detached: true,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      STORE_PREFIX: storePrefix,
      ...portEnvOf(ports),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  launcher.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  launcher.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => launcher?.once('exit', (code) => resolve(code)));
  await waitFor(() => output.includes('is ready') || launcher?.exitCode !== null, 120_000);
  expect(output).toContain('is ready');

  const { stdout } = await run('pgrep', ['-P', String(launcher.pid), '-f', 'subgraphs/doctor/src/index.ts']);
  process.kill(Number(stdout.trim()), 'SIGKILL');

  expect(await exited).toBe(1);
  expect(output).toMatch(/doctor exited unexpectedly/);
  for (const port of Object.values(ports)) await waitFor(() => isPortFree(port as number), 15_000);
}, 180_000);
