/**
 * The patient graph through the router vs straight at the patient subgraph, same run, real mode (each part
 * its own process on the real Postgres, MariaDB and Kafka; the doctor and appointment subgraphs run too, off
 * the measured path), for two operations: patient(id) and a 20-patient name search.
 * Loaded: autocannon, N keep-alive connections for D s after a warm-up → RPS, p50, p99.
 * Unloaded: 1 connection, requests one after another → p50, p99 (the target: router p50 ≤ 2 ms).
 * Every response must be a 200 with data and no `errors`; the run aborts otherwise.
 * Also prints who burnt the CPU during each loaded run (router, patient, postgres, autocannon; from /proc).
 * Then patient(id) through the router side by side with stock @apollo/gateway (bench/stock-gateway.ts, its
 * own process over the same subgraphs): R alternating loaded reps each, RPS, p50, p99 and each process's
 * CPU ms per request, and the router/stock ratios.
 * Needs `npm run infra -- up`. Usage:
 *   npm run bench:patient [-- --duration 10 --warmup 3 --connections 20 --sequential 500 --patients 200 --reps 3]
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { freePort } from '@hsg/infra';
import { dataOf, graphqlRequest, sessions, testAdmin, uniqueName } from '@hsg/testing';
import { dropRealModeStores, startRealMode } from '../launcher/src/real.ts';
import {
  cannon,
  childPids,
  clockTicks,
  formatVersus,
  type Operation,
  percentile,
  processTicks,
  type Rep,
  type StockGateway,
  startStockGateway,
  versusStock,
} from './stock.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    sequential: { type: 'string', default: '500' },
    patients: { type: 'string', default: '200' },
    reps: { type: 'string', default: '3' },
  },
});
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const connections = Number(values.connections);
const sequential = Number(values.sequential);
const patientCount = Number(values.patients);
const reps = Number(values.reps);
for (const [name, value, least] of [
  ['duration', durationS, 1],
  ['warmup', warmupS, 0],
  ['connections', connections, 1],
  ['sequential', sequential, 10],
  ['patients', patientCount, 20],
  ['reps', reps, 1],
] as const) {
  if (!Number.isInteger(value) || value < least) {
    process.stderr.write(`--${name} must be a whole number ≥ ${least} (got ${values[name]})\n`);
    process.exit(2);
  }
}

// The children inherit this environment: no info logs in the hot path, nor in the output.
process.env.LOG_LEVEL ??= 'warn';

const givenNames = ['Ada', 'Ben', 'Cleo', 'Dara', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kai', 'Lena'];
// A shared family-name prefix, so one name search matches every seeded patient.
const familyPrefix = 'Quill';
const familyNames = ['Quillan', 'Quillby', 'Quillet', 'Quillon', 'Quillard', 'Quillmore', 'Quillsey'];
const genders = ['FEMALE', 'MALE', 'OTHER', 'UNKNOWN'] as const;

/** A response is right when it is a 200 with data, no `errors`, and contains `marker`. */
const answers = (marker: string) => (text: string) =>
  text.startsWith('{"data":{') && !text.includes('"errors"') && text.includes(marker);

interface Measured {
  operation: string;
  target: 'direct' | 'router';
  rps: number;
  p50: number;
  p99: number;
  idleP50: number;
  idleP99: number;
  cpu: CpuShare | undefined;
}

async function seed(routerUrl: string, headers: Record<string, string>): Promise<string[]> {
  const mutation = `mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }`;
  const ids: string[] = [];
  const register = async (n: number) => {
    const input = {
      name: {
        given: [givenNames[n % givenNames.length]],
        family: familyNames[Math.floor(n / givenNames.length) % familyNames.length],
      },
      birthDate: `${1940 + (n % 70)}-${String(1 + (n % 12)).padStart(2, '0')}-${String(1 + (n % 28)).padStart(2, '0')}`,
      gender: genders[n % genders.length],
    };
    ids[n] = dataOf<{ id: string }>(
      await graphqlRequest(routerUrl, mutation, { input }, headers),
      'registerPatient',
    ).id;
  };
  // A few at a time: seeding is set-up, not what is measured.
  for (let n = 0; n < patientCount; n += 8) {
    await Promise.all(Array.from({ length: Math.min(8, patientCount - n) }, (_, k) => register(n + k)));
  }
  return ids;
}

// --- CPU accounting from /proc (Linux): who burnt the cores during a loaded run ---------------------------

const hasProc = (() => {
  try {
    readFileSync('/proc/stat');
    return true;
  } catch {
    return false;
  }
})();

interface CpuShare {
  /** % of one core over the run; the machine has os.availableParallelism() × 100 %. */
  router: number;
  patient: number;
  postgres: number;
  bench: number;
  other: number;
}

function readProc(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

function busyTicks(): number {
  // cpu  user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9);
  return fields
    .map(Number)
    .reduce((sum, ticks, index) => (index === 3 || index === 4 ? sum : sum + ticks), 0);
}

/** pids of the router and patient processes (children of this one), and of every postgres process. */
function findProcesses(): { router: number[]; patient: number[]; postgres: number[] } {
  const found = { router: [] as number[], patient: [] as number[], postgres: [] as number[] };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = readProc(entry, 'comm').trim();
    if (comm === 'postgres') {
      found.postgres.push(Number(entry));
      continue;
    }
    const stat = readProc(entry, 'stat');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== process.pid) continue;
    const cmdline = readProc(entry, 'cmdline');
    if (cmdline.includes('router/src/index.ts')) found.router.push(Number(entry));
    if (cmdline.includes('subgraphs/patient/src/index.ts')) found.patient.push(Number(entry));
  }
  return found;
}

function cpuSnapshot() {
  if (!hasProc) return undefined;
  const pids = findProcesses();
  const sum = (list: number[]) => {
    const ticks = new Map<number, number>();
    for (const pid of list) {
      const t = processTicks(pid);
      if (t !== undefined) ticks.set(pid, t);
    }
    return ticks;
  };
  return {
    at: performance.now(),
    busy: busyTicks(),
    router: sum(pids.router),
    patient: sum(pids.patient),
    postgres: sum(pids.postgres),
    bench: processTicks(process.pid) ?? 0,
  };
}

function cpuShare(before: ReturnType<typeof cpuSnapshot>, after: ReturnType<typeof cpuSnapshot>) {
  if (!before || !after) return undefined;
  const seconds = (after.at - before.at) / 1000;
  const pct = (ticks: number) => (ticks / clockTicks / seconds) * 100;
  // Only processes alive at both ends (postgres forks and ends backends; theirs are a small share here).
  const delta = (a: Map<number, number>, b: Map<number, number>) => {
    let total = 0;
    for (const [pid, ticks] of b) total += ticks - (a.get(pid) ?? ticks);
    return total;
  };
  const router = delta(before.router, after.router);
  const patient = delta(before.patient, after.patient);
  const postgres = delta(before.postgres, after.postgres);
  const bench = after.bench - before.bench;
  const busy = after.busy - before.busy;
  return {
    router: pct(router),
    patient: pct(patient),
    postgres: pct(postgres),
    bench: pct(bench),
    other: Math.max(0, pct(busy - router - patient - postgres - bench)),
  };
}

// --- the run ------------------------------------------------------------------------------------------------

async function measureAll(
  routerUrl: string,
  patientUrl: string,
): Promise<{ measured: Measured[]; versus: Rep[] }> {
  // The front desk's token on every request: the router and the patient subgraph each verify it.
  const headers = await sessions(routerUrl)('FRONT_DESK');
  process.stderr.write(`seeding ${patientCount} patients through the router…\n`);
  const ids = await seed(routerUrl, headers);
  const fixedId = ids[0] ?? '';
  const operations: Operation[] = [
    {
      name: 'patient(id)',
      body: JSON.stringify({
        query: 'query ($id: ID!) { patient(id: $id) { id mrn name { text } birthDate gender active } }',
        variables: { id: fixedId },
      }),
      verify: answers(`"id":"${fixedId}"`),
      headers,
    },
    {
      name: 'search 20',
      body: JSON.stringify({
        query: `{ patients(filter: { name: "${familyPrefix}" }, first: 20) { totalCount edges { node { id mrn name { text } birthDate } } } }`,
      }),
      verify: answers(`"totalCount":${patientCount}`),
      headers,
    },
  ];
  const measured: Measured[] = [];
  for (const operation of operations) {
    for (const [target, url] of [
      ['direct', patientUrl],
      ['router', routerUrl],
    ] as const) {
      process.stderr.write(
        `${operation.name} ${target}: warm-up, ${durationS} s loaded, ${sequential} sequential…\n`,
      );
      if (warmupS > 0) await cannon(url, operation, { connections, duration: warmupS });
      const before = cpuSnapshot();
      const loaded = await cannon(url, operation, { connections, duration: durationS });
      const cpu = cpuShare(before, cpuSnapshot());
      await cannon(url, operation, { connections: 1, amount: Math.max(50, Math.floor(sequential / 5)) });
      const idle = await cannon(url, operation, { connections: 1, amount: sequential });
      const busy = loaded.latencies.sort((a, b) => a - b);
      const quiet = idle.latencies.sort((a, b) => a - b);
      measured.push({
        operation: operation.name,
        target,
        rps: loaded.result['2xx'] / loaded.result.duration,
        p50: percentile(busy, 0.5),
        p99: percentile(busy, 0.99),
        idleP50: percentile(quiet, 0.5),
        idleP99: percentile(quiet, 0.99),
        cpu,
      });
    }
  }
  process.stderr.write('starting the stock gateway over the same subgraphs…\n');
  stock = await startStockGateway(stockPort, subgraphUrls);
  const routerPid = childPids('router/src/index.ts')[0] ?? 0;
  const versus = await versusStock(
    operations[0] as Operation,
    [
      { name: 'router', url: routerUrl, pid: routerPid },
      { name: 'stock', url: stock.url, pid: stock.pid },
    ],
    { connections, durationS, warmupS, reps },
  );
  return { measured, versus };
}

const loadBefore = os.loadavg();
const schemaPrefix = `${uniqueName('bench')}_`;
const routerPort = await freePort();
const patientPort = await freePort();
const doctorPort = await freePort();
const appointmentPort = await freePort();
const identityPort = await freePort();
const stockPort = await freePort();
const subgraphUrls = {
  patient: `http://127.0.0.1:${patientPort}/graphql`,
  doctor: `http://127.0.0.1:${doctorPort}/graphql`,
  appointment: `http://127.0.0.1:${appointmentPort}/graphql`,
};
let system: Awaited<ReturnType<typeof startRealMode>> | undefined;
let stock: StockGateway | undefined;

let cleaned: Promise<void> | undefined;
/** Stops the processes, then drops the run's schemas and database. Runs once, whichever way the run ends. */
const cleanUp = () => {
  cleaned ??= (async () => {
    const stopping = performance.now();
    await stock?.stop();
    await system?.stop();
    process.stderr.write(`stopped the system in ${((performance.now() - stopping) / 1000).toFixed(1)} s\n`);
    await dropRealModeStores(schemaPrefix);
  })();
  return cleaned;
};
const interrupted = () => {
  process.stderr.write('\ninterrupted: stopping the system…\n');
  void cleanUp().finally(() => process.exit(130));
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);

let results: Measured[];
let versus: Rep[];
try {
  process.stderr.write(
    `starting real mode (router :${routerPort}, patient :${patientPort}, doctor :${doctorPort}, ` +
      `appointment :${appointmentPort}, stores prefixed ${schemaPrefix})…\n`,
  );
  system = await startRealMode({
    ports: {
      router: routerPort,
      identity: identityPort,
      patient: patientPort,
      doctor: doctorPort,
      appointment: appointmentPort,
    },
    schemaPrefix,
    quiet: true,
    admin: testAdmin,
  });
  ({ measured: results, versus } = await measureAll(system.routerUrl, subgraphUrls.patient));
} catch (error) {
  process.stderr.write(`\nbenchmark aborted: ${error instanceof Error ? error.message : String(error)}\n`);
  await cleanUp();
  process.exit(1);
}
await cleanUp();

const cores = os.availableParallelism();
const fmt = (value: number, digits = 2, width = 8) => value.toFixed(digits).padStart(width);
const pct = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(0)}%`).padStart(8);
let out =
  `patient graph, real mode (Postgres + Kafka), ${patientCount} patients; loaded: ${connections} connections × ${durationS} s ` +
  `after ${warmupS} s warm-up; unloaded: 1 connection, ${sequential} sequential requests\n` +
  `machine: ${cores} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${os.platform()} ${os.arch()}, ` +
  `NODE_ENV=${process.env.NODE_ENV ?? '(unset)'}, LOG_LEVEL=${process.env.LOG_LEVEL}, load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n\n` +
  '                      ---------- loaded ----------   -- unloaded --\n' +
  'operation    target        RPS   p50 ms   p99 ms   p50 ms   p99 ms\n';
for (const r of results) {
  out += `${r.operation.padEnd(13)}${r.target.padEnd(8)}${fmt(r.rps, 0, 9)}${fmt(r.p50)}${fmt(r.p99, 1)}${fmt(r.idleP50)}${fmt(r.idleP99)}\n`;
}
out += `\nrouter/direct (target: RPS ≥ 0.5×, unloaded p50 through the router ≤ 2 ms)\n`;
for (const operation of new Set(results.map((r) => r.operation))) {
  const direct = results.find((r) => r.operation === operation && r.target === 'direct');
  const router = results.find((r) => r.operation === operation && r.target === 'router');
  if (!direct || !router) continue;
  out +=
    `${operation.padEnd(13)}RPS ${(router.rps / direct.rps).toFixed(2)}×, ` +
    `overhead at p50 +${(router.idleP50 - direct.idleP50).toFixed(2)} ms unloaded, +${(router.p50 - direct.p50).toFixed(2)} ms loaded; ` +
    `router unloaded p50 ${router.idleP50.toFixed(2)} ms ${router.idleP50 <= 2 ? '≤' : '>'} 2 ms\n`;
}
out += `\nCPU during the loaded runs, % of one core (the machine has ${cores * 100}%; bench = autocannon in this process)\n`;
out += `and CPU ms each process spent per request (router's, then patient's)\n`;
out += 'operation    target     router  patient postgres    bench    other   router ms  patient ms\n';
const perRequest = (share: number | undefined, rps: number) =>
  (share === undefined ? 'n/a' : ((share / 100 / rps) * 1000).toFixed(2)).padStart(12);
for (const r of results) {
  out +=
    `${r.operation.padEnd(13)}${r.target.padEnd(8)}${pct(r.cpu?.router)} ${pct(r.cpu?.patient)} ${pct(r.cpu?.postgres)} ` +
    `${pct(r.cpu?.bench)} ${pct(r.cpu?.other)}${r.target === 'router' ? perRequest(r.cpu?.router, r.rps) : '           -'}` +
    `${perRequest(r.cpu?.patient, r.rps)}\n`;
}
const busiestOther = Math.max(...results.map((r) => r.cpu?.other ?? 0));
if (busiestOther > 25) {
  out += `warning: processes outside this benchmark used up to ${busiestOther.toFixed(0)}% of a core during a loaded run; the machine was not quiet\n`;
}
out += `\n${formatVersus(
  versus,
  `router vs stock @apollo/gateway (startStandaloneServer, node-fetch keep-alive agent), same subgraphs: ` +
    `${connections} connections × ${durationS} s, ${reps} alternating reps after ${warmupS} s warm-up each`,
)}`;
process.stdout.write(out);
