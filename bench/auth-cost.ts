/**
 * What security costs: the graph with access tokens (verified by the router and by every subgraph, rules
 * enforced, patient-data access recorded) against the same graph without any, in one run. The baseline is
 * the last commit before security (or --baseline <commit>), checked out into a worktree of its own with its
 * own `npm ci`, both in real mode (each part its own process on the real Postgres, MariaDB and Kafka),
 * each with its own stores. The current graph runs the baseline's subgraphs and identity only (later
 * subgraphs' consumers are not security's cost), and both run kafkajs with the kit's idle-loop fix. Both get the same seeded patients and 40 visits; then R alternating reps
 * (baseline, current, …) of the same autocannon load per operation (one patient, a 20-patient search, 20
 * visits with their patients): RPS, p50, p99, and CPU ms per request of the router and of the patient and
 * appointment subgraphs (from /proc) and of the whole machine (everything a request costs: identity keeping the
 * audit trail, Kafka, Postgres; the load generator too), with the current/baseline ratios (the target: throughput ≥ 0.85×).
 * Needs `npm run infra -- up`. Usage:
 *   node bench/auth-cost.ts [-- --duration 10 --warmup 3 --connections 20 --reps 5 --patients 200 --baseline <commit>]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dataOf, graphqlRequest, retryUnavailable, sessions, testAdmin, uniqueName } from '@hsg/testing';
import { portEnvOf } from '../launcher/src/port-env.ts';
import { repoRoot } from '../launcher/src/processes.ts';
import { dropRealModeStores, freePorts, startRealMode } from '../launcher/src/real.ts';
import { cannon, clockTicks, machineBusyTicks, type Operation, percentile, processTicks } from './stock.ts';

/** The last commit before security arrived (login, token checks, access rules, audit). */
const beforeSecurity = 'd1b9fd7';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    reps: { type: 'string', default: '5' },
    patients: { type: 'string', default: '200' },
    baseline: { type: 'string', default: beforeSecurity },
  },
});
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const connections = Number(values.connections);
const reps = Number(values.reps);
const patientCount = Number(values.patients);
process.env.LOG_LEVEL ??= 'warn';
const log = (line: string) => process.stderr.write(`${line}\n`);

/** A worktree of the baseline commit with its own dependencies (kept between runs under /tmp). */
function prepareBaseline(commit: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', commit], {
    cwd: repoRoot,
    encoding: 'utf8',
  }).trim();
  const dir = `/tmp/hsg-baseline-${sha}`;
  if (!existsSync(dir)) {
    log(`checking out ${sha} into ${dir}…`);
    execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: repoRoot, stdio: 'ignore' });
  }
  if (!existsSync(join(dir, 'node_modules'))) {
    log(`npm ci in ${dir} (once)…`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, stdio: 'ignore' });
  }
  return dir;
}

/** The baseline's own `npm run start:real`, resolved once it says it is ready. */
async function startBaseline(dir: string, storePrefix: string) {
  const ports = await freePorts();
  const child = spawn(process.execPath, ['launcher/src/real.ts'], {
    cwd: dir,
    env: {
      ...process.env,
      ...portEnvOf(ports),
      STORE_PREFIX: storePrefix,
      // The same kafkajs as the current graph runs: with the kit's fix of its idle timer loop.
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ''} --import ${join(repoRoot, 'bench/kafkajs-idle-fix.ts')}`.trim(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 120_000;
  while (!output.includes('is ready')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`baseline did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    routerUrl: `http://127.0.0.1:${ports.router}/graphql`,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** pids of the processes running `script` from the checkout at `cwd` (each mode's router, patient). */
function pidsOf(cwd: string, script: string): number[] {
  const found: number[] = [];
  const dir = resolve(cwd);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== dir) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(script)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

async function seed(routerUrl: string, headers: Record<string, string>): Promise<string[]> {
  const mutation = 'mutation Seed($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }';
  const ids: string[] = [];
  for (let n = 0; n < patientCount; n += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, patientCount - n) }, async (_, k) => {
        const input = {
          name: { given: [`P${n + k}`], family: 'Quillsey' },
          birthDate: `${1950 + ((n + k) % 60)}-0${1 + ((n + k) % 9)}-1${(n + k) % 9}`,
          gender: 'UNKNOWN',
        };
        ids[n + k] = dataOf<{ id: string }>(
          await graphqlRequest(routerUrl, mutation, { input }, headers),
          'registerPatient',
        ).id;
      }),
    );
  }
  return ids;
}

/** A doctor around the clock and one 30-minute visit per patient (the first 40) from tomorrow on. */
async function seedVisits(routerUrl: string, headers: Record<string, string>, patientIds: string[]) {
  const doctor = dataOf<{ id: string }>(
    await graphqlRequest(
      routerUrl,
      'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }',
      {
        input: {
          name: { given: ['Bench'], family: 'Quillsey' },
          licenseNumber: `BENCH-${Date.now()}`,
          specialties: ['General practice'],
          timeZone: 'Europe/Berlin',
          workingHours: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].map((weekday) => ({
            weekday,
            start: '00:00',
            end: '24:00',
          })),
          consultationFee: { amount: 6000, currency: 'EUR' },
        },
      },
      headers,
    ),
    'registerDoctor',
  );
  const tomorrow = Math.ceil(Date.now() / 86_400_000) * 86_400_000 + 86_400_000;
  for (const [index, patientId] of patientIds.slice(0, 40).entries()) {
    const input = {
      patientId,
      doctorId: doctor.id,
      start: new Date(tomorrow + index * 30 * 60_000).toISOString(),
      durationMinutes: 30,
    };
    // The appointment subgraph learns new patients and doctors from events: UNAVAILABLE until then.
    const booked = await retryUnavailable(
      () =>
        graphqlRequest(
          routerUrl,
          'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }',
          { input },
          headers,
        ),
      { attempts: 150, delayMs: 100 },
    );
    dataOf(booked, 'bookAppointment');
  }
}

const operationsFor = (id: string, headers: Record<string, string>): Operation[] => [
  {
    name: 'patient(id)',
    body: JSON.stringify({
      query: 'query One($id: ID!) { patient(id: $id) { id mrn name { text } birthDate gender active } }',
      variables: { id },
    }),
    verify: (text) => text.startsWith('{"data":{"patient":{') && text.includes(id),
    headers,
  },
  {
    name: 'search 20',
    body: JSON.stringify({
      query:
        'query Search { patients(filter: { name: "Quillsey" }, first: 20) { totalCount edges { node { id mrn name { text } } } } }',
    }),
    verify: (text) =>
      text.startsWith('{"data":{"patients":{') && text.includes(`"totalCount":${patientCount}`),
    headers,
  },
  {
    name: 'visits 20',
    body: JSON.stringify({
      query:
        'query Visits { appointments(first: 20) { totalCount edges { node { id start status patient { id name { text } } } } } }',
    }),
    verify: (text) => text.startsWith('{"data":{"appointments":{') && text.includes('"totalCount":40'),
    headers,
  },
];

interface Target {
  name: 'baseline' | 'current';
  url: string;
  operations: Operation[];
  cwd: string;
}

interface Rep {
  rps: number;
  p50: number;
  p99: number;
  routerMs: number;
  patientMs: number;
  /** Every process of the machine (both systems, the brokers, the load generator). */
  machineMs: number;
}

const ticksOf = (pids: number[]) => pids.reduce((sum, pid) => sum + (processTicks(pid) ?? 0), 0);

async function measure(target: Target, operation: Operation): Promise<Rep> {
  if (warmupS > 0) await cannon(target.url, operation, { connections, duration: warmupS });
  const router = pidsOf(target.cwd, 'router/src/index.ts');
  const patient = [
    ...pidsOf(target.cwd, 'subgraphs/patient/src/index.ts'),
    ...pidsOf(target.cwd, 'subgraphs/appointment/src/index.ts'),
  ];
  const before = { router: ticksOf(router), patient: ticksOf(patient), machine: machineBusyTicks() ?? 0 };
  const { result, latencies } = await cannon(target.url, operation, { connections, duration: durationS });
  const requests = result['2xx'];
  const ms = (ticks: number) => (ticks / clockTicks / requests) * 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: requests / result.duration,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    routerMs: ms(ticksOf(router) - before.router),
    patientMs: ms(ticksOf(patient) - before.patient),
    machineMs: ms((machineBusyTicks() ?? 0) - before.machine),
  };
}

/** The baseline's subgraphs, and identity, which security added. */
const measuredSubgraphs = ['identity', 'patient', 'doctor', 'appointment'];
const baselinePrefix = `${uniqueName('bench_base')}_`;
const currentPrefix = `${uniqueName('bench_auth')}_`;
const baselineDir = prepareBaseline(values.baseline);
log('starting the baseline (no auth) in real mode…');
const baseline = await startBaseline(baselineDir, baselinePrefix);
log('starting the current graph in real mode…');
const current = await startRealMode({
  ports: await freePorts(),
  schemaPrefix: currentPrefix,
  quiet: true,
  admin: testAdmin,
  // The parts the baseline had, and identity (which keeps the audit trail): not the later subgraphs'
  // consumers, which would be measured as security's cost on the same two cores.
  subgraphs: measuredSubgraphs,
});
try {
  const frontDesk = await sessions(current.routerUrl)('FRONT_DESK');
  log(`seeding ${patientCount} patients into each…`);
  const [baselineIds, currentIds] = [
    await seed(baseline.routerUrl, {}),
    await seed(current.routerUrl, frontDesk),
  ];
  log('booking 40 visits in each…');
  await seedVisits(baseline.routerUrl, {}, baselineIds);
  await seedVisits(current.routerUrl, frontDesk, currentIds);
  const targets: Target[] = [
    {
      name: 'baseline',
      url: baseline.routerUrl,
      operations: operationsFor(baselineIds[0] ?? '', {}),
      cwd: baselineDir,
    },
    {
      name: 'current',
      url: current.routerUrl,
      operations: operationsFor(currentIds[0] ?? '', frontDesk),
      cwd: repoRoot,
    },
  ];
  const lines: string[] = [];
  for (let index = 0; index < 3; index++) {
    const results: Record<Target['name'], Rep[]> = { baseline: [], current: [] };
    for (let rep = 1; rep <= reps; rep++) {
      for (const target of targets) {
        const operation = target.operations[index] as Operation;
        const measured = await measure(target, operation);
        results[target.name].push(measured);
        const line =
          `${operation.name.padEnd(12)} ${target.name.padEnd(9)} rep ${rep}  ${measured.rps.toFixed(0).padStart(6)} RPS  ` +
          `p50 ${measured.p50.toFixed(2).padStart(7)} ms  p99 ${measured.p99.toFixed(1).padStart(7)} ms  ` +
          `router ${measured.routerMs.toFixed(3)} ms/req  subgraphs ${measured.patientMs.toFixed(3)} ms/req  ` +
          `machine ${measured.machineMs.toFixed(2)} ms/req`;
        log(line);
        lines.push(line);
      }
    }
    // Medians: on a shared 2-core VM one rep of either side now and then runs at half speed (stolen time).
    const median = (list: Rep[], key: keyof Rep) =>
      percentile(
        list.map((rep) => rep[key]).sort((a, b) => a - b),
        0.5,
      );
    const ratio = (key: keyof Rep) => median(results.current, key) / median(results.baseline, key);
    const operationName = ['patient(id)', 'search 20', 'visits 20'][index];
    lines.push(
      `${operationName}: current/baseline RPS ${ratio('rps').toFixed(2)}× ` +
        `(target ≥ 0.85×), router CPU/request ${ratio('routerMs').toFixed(2)}×, patient+appointment CPU/request ${ratio('patientMs').toFixed(2)}×, ` +
        `machine CPU/request ${ratio('machineMs').toFixed(2)}×`,
    );
  }
  process.stdout.write(
    `\nsecurity's cost: current (${connections} connections × ${durationS} s, ${reps} alternating reps, medians) vs ` +
      `the graph before security (${values.baseline})\n${lines.join('\n')}\n`,
  );
} finally {
  await current.stop();
  await baseline.stop();
  await dropRealModeStores(currentPrefix);
  await dropRealModeStores(baselinePrefix);
}
