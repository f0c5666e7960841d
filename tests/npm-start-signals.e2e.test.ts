import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPortFree } from '@hsg/infra';
import { portEnvOf } from '@hsg/launcher/port-env';
import { freePorts } from '@hsg/launcher/real';
import { graphqlPost, waitFor } from '@hsg/testing';
import { afterEach, expect, it } from '@jest/globals';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
let started: ChildProcess | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  if (started?.pid && started.exitCode === null) process.kill(-started.pid, 'SIGKILL'); // after a failure only
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** `npm start` on free ports, resolved once it printed that it is ready. */
async function npmStart(env: Record<string, string> = {}) {
  dataDir = await mkdtemp(join(tmpdir(), 'npm-start-'));
  const ports = await freePorts();
  const child = spawn('npm', ['start'], {
    cwd: repoRoot,
    detached: true, // its own process group: the test's cleanup can kill whatever is left
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...portEnvOf(ports),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started = child;
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await waitFor(() => output.includes('is ready') || child.exitCode !== null, 120_000);
  if (!output.includes('is ready')) throw new Error(`npm start did not start:\n${output}`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ports, exited };
}

it('stops the whole system when npm itself gets SIGTERM (the server does not outlive it)', async () => {
  const { child, ports, exited } = await npmStart();
  process.kill(child.pid as number, 'SIGTERM'); // npm's pid only, as a process manager would send it
  expect(await exited).not.toBeNull();
  // Nothing listens any more: node got the signal, drained and exited, rather than being orphaned.
  for (const port of Object.values(ports)) await waitFor(() => isPortFree(port as number), 15_000);
}, 180_000);

it('runs in production with NODE_ENV=production: no Sandbox, no introspection, no field suggestions', async () => {
  const { child, ports, exited } = await npmStart({ NODE_ENV: 'production' });
  const url = `http://127.0.0.1:${ports.router}/graphql`;
  const page = await fetch(url, { headers: { accept: 'text/html' } });
  expect(await page.text()).not.toContain('embeddable-sandbox');
  const introspection = await graphqlPost(url, 'query Schema { __schema { queryType { name } } }');
  expect(introspection.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  const misspelt = await graphqlPost(url, 'query Typo { patients { totalCont } }');
  expect(misspelt.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  process.kill(child.pid as number, 'SIGTERM');
  expect(await exited).not.toBeNull();
}, 180_000);
