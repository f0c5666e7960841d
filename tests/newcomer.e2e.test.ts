import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { demoPassword } from '@hsg/launcher';
import { portEnvOf } from '@hsg/launcher/port-env';
import { freePorts } from '@hsg/launcher/real';
import { dataOf, graphqlRequest, login } from '@hsg/testing';
import { afterAll, expect, it } from '@jest/globals';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
let workdir: string | undefined;
let started: ChildProcess | undefined;

afterAll(async () => {
  const running = started?.pid !== undefined && started.exitCode === null && started.signalCode === null;
  if (running && started?.pid) process.kill(-started.pid, 'SIGKILL'); // only after a failure mid-test
  if (workdir) await rm(workdir, { recursive: true, force: true });
}, 60_000); // a clone with its node_modules: seconds to remove on a busy machine

/** What a newcomer does on a fresh machine: clone, `npm install`, `npm start`, ask the graph. */
it('starts from a clean clone with npm install && npm start and answers a patient query', async () => {
  workdir = await mkdtemp(join(tmpdir(), 'newcomer-'));
  const clone = join(workdir, 'repo');
  await run('git', ['clone', '--quiet', '--depth', '1', `file://${repoRoot}`, clone]);
  // The machine's npm (not the repo's pinned Node) runs the install, as on a fresh machine.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: clone,
    maxBuffer: 64 * 1024 * 1024,
  });

  // A free port for every part of the registry, through the variables `npm start` reads.
  const ports = await freePorts();
  const routerPort = ports.router;
  started = spawn('npm', ['start'], {
    cwd: clone,
    detached: true, // its own process group, so npm and node stop together
    env: {
      ...process.env,
      ...portEnvOf(ports),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  started.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  started.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const startedAt = Date.now();
  while (!output.includes('is ready')) {
    if (started.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() - startedAt > 60_000) throw new Error(`npm start was not ready within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // The demo front desk, as `npm start` printed it.
  const routerUrl = `http://127.0.0.1:${routerPort}/graphql`;
  expect(output).toContain('frontdesk (FRONT_DESK)');
  const frontDesk = { authorization: `Bearer ${await login(routerUrl, 'frontdesk', demoPassword)}` };
  const response = await graphqlRequest(
    routerUrl,
    '{ patients(first: 5) { totalCount edges { node { mrn name { text } } } } }',
    {},
    frontDesk,
  );
  const patients = response.data?.patients as { totalCount: number; edges: unknown[] };
  expect(response.errors).toBeUndefined();
  expect(patients.totalCount).toBe(40); // the synthetic demo patients, loaded on first start
  expect(patients.edges).toHaveLength(5);

  const week = await graphqlRequest(
    routerUrl,
    '{ doctors { totalCount edges { node { workingHours { weekday } appointments { totalCount edges { node { patient { name { text } } } } } } } } }',
    {},
    frontDesk,
  );
  expect(week.errors).toBeUndefined();
  const doctors = dataOf<{
    totalCount: number;
    edges: Array<{ node: { workingHours: unknown[]; appointments: { totalCount: number } } }>;
  }>(week, 'doctors');
  expect(doctors.totalCount).toBe(4); // demo doctors with working hours and this week's appointments
  for (const { node } of doctors.edges) {
    expect(node.workingHours.length).toBeGreaterThan(0);
    expect(node.appointments.totalCount).toBeGreaterThan(0);
  }

  const pid = started.pid as number;
  const exited = new Promise((resolve) => started?.once('exit', resolve));
  process.kill(-pid, 'SIGINT');
  await exited;
}, 300_000);
