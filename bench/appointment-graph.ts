/**
 * A front desk's day view across three subgraphs, real mode (each part its own process on Postgres,
 * MariaDB and Kafka), same run:
 *   router: one query for a day's 50 appointments with patient and doctor names;
 *   direct: the same data straight from the subgraphs, as a client without a router would fetch it:
 *           the appointment page, then patients and doctors by `_entities` (in parallel), joined locally.
 * Then concurrent booking: W workers book random 30-minute slots of a few doctors for random patients,
 * so many attempts collide; every answer must be a booking or a CONFLICT.
 * Closed loop: C workers, each sending its next operation when the last one answered, for D s after a
 * warm-up → operations/s, p50, p99. Every response is checked; the run aborts on an unexpected one.
 * Then the day view through the router side by side with stock @apollo/gateway (bench/stock-gateway.ts, its
 * own process over the same subgraphs): autocannon with C connections, R alternating reps of D s each,
 * RPS, p50, p99 and each process's CPU ms per request, and the router/stock ratios.
 * Needs `npm run infra -- up`. Usage:
 *   npm run bench:appointments [-- --duration 10 --warmup 2 --connections 20 --reps 3]
 */
import { parseArgs } from 'node:util';
import { freePort } from '@hsg/infra';
import {
  dataOf,
  errorCode,
  graphqlRequest,
  retryUnavailable,
  sessions,
  testAdmin,
  uniqueName,
} from '@hsg/testing';
import { dropRealModeStores, startRealMode } from '../launcher/src/real.ts';
import { childPids, formatVersus, type StockGateway, startStockGateway, versusStock } from './stock.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '20' },
    reps: { type: 'string', default: '3' },
  },
});
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const connections = Number(values.connections);
const reps = Number(values.reps);
for (const [name, value, least] of [
  ['duration', durationS, 1],
  ['warmup', warmupS, 0],
  ['connections', connections, 1],
  ['reps', reps, 1],
] as const) {
  if (!Number.isInteger(value) || value < least) {
    process.stderr.write(`--${name} must be a whole number ≥ ${least} (got ${values[name]})\n`);
    process.exit(2);
  }
}
process.env.LOG_LEVEL ??= 'warn';

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

interface Load {
  operations: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Closed-loop load: `workers` loops calling `operation` for `seconds`, after an unmeasured warm-up. */
async function load(operation: () => Promise<void>, workers: number, seconds: number): Promise<Load> {
  const run = async (ms: number, latencies: number[]) => {
    const deadline = performance.now() + ms;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (performance.now() < deadline) {
          const started = performance.now();
          await operation();
          latencies.push(performance.now() - started);
        }
      }),
    );
  };
  await run(warmupS * 1000, []);
  const latencies: number[] = [];
  const started = performance.now();
  await run(seconds * 1000, latencies);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    operations: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

const ports = {
  routerPort: await freePort(),
  patientPort: await freePort(),
  doctorPort: await freePort(),
  appointmentPort: await freePort(),
  identityPort: await freePort(),
};
const stockPort = await freePort();
let stock: StockGateway | undefined;
const url = (port: number) => `http://127.0.0.1:${port}/graphql`;
const schemaPrefix = `${uniqueName('bench')}_`;
process.stdout.write('starting real mode (router + 3 subgraphs)…\n');
const system = await startRealMode({
  ports: {
    router: ports.routerPort,
    patient: ports.patientPort,
    doctor: ports.doctorPort,
    appointment: ports.appointmentPort,
    identity: ports.identityPort,
  },
  schemaPrefix,
  quiet: true,
  admin: testAdmin,
});
const router = system.routerUrl;
// The front desk's token on every request: the router and each subgraph verify it.
const frontDesk = await sessions(router)('FRONT_DESK');
const authorized = (url: string, query: string, variables?: Record<string, unknown>) =>
  graphqlRequest(url, query, variables, frontDesk);

const bookMutation = 'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }';

/** Retries while the appointment projection catches up with freshly registered people (UNAVAILABLE). */
async function bookRetrying(input: Record<string, unknown>): Promise<void> {
  const response = await retryUnavailable(
    () => authorized(router, bookMutation, { input }),
    { attempts: 200, delayMs: 50 }, // up to 10 s
  );
  if (response.errors) throw new Error(JSON.stringify(response.errors));
}

try {
  process.stdout.write('seeding 5 doctors, 200 patients, a day of 50 appointments…\n');
  const doctors: string[] = [];
  for (let n = 0; n < 5; n++) {
    const registered = await authorized(
      router,
      'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }',
      {
        input: {
          name: { given: ['Dr'], family: `Bench${n}` },
          licenseNumber: uniqueName('BENCH').replaceAll('_', '-'), // licenses allow dashes, not underscores
          specialties: ['General practice'],
          timeZone: 'UTC',
          workingHours: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].map((weekday) => ({
            weekday,
            start: '00:00',
            end: '24:00',
          })),
          consultationFee: { amount: 5000, currency: 'EUR' },
        },
      },
    );
    doctors.push(dataOf<{ id: string }>(registered, 'registerDoctor').id);
  }
  const patients: string[] = [];
  for (let n = 0; n < 200; n += 10) {
    const batch = await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        authorized(
          router,
          'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
          {
            input: {
              name: { given: [`P${n + k}`], family: 'Benchley' },
              birthDate: '1980-01-01',
              gender: 'UNKNOWN',
            },
          },
        ),
      ),
    );
    patients.push(...batch.map((registered) => dataOf<{ id: string }>(registered, 'registerPatient').id));
  }
  const day = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 4)); // a whole year ahead: free
  for (let n = 0; n < 50; n++) {
    await bookRetrying({
      patientId: patients[n],
      doctorId: doctors[n % 5],
      start: new Date(day.getTime() + Math.floor(n / 5) * 30 * 60_000 + 8 * 3_600_000).toISOString(),
      durationMinutes: 30,
    });
  }
  const window = { from: day.toISOString(), to: new Date(day.getTime() + 86_400_000).toISOString() };

  const dayViewQuery = `query ($from: DateTime!, $to: DateTime!) {
    appointments(filter: { from: $from, to: $to }, first: 50) {
      edges { node { id start end status patient { name { text } } doctor { name { text } } } }
    }
  }`;
  const checkDay = (edges: unknown[]) => {
    if (edges.length !== 50) throw new Error(`expected 50 appointments, got ${edges.length}`);
  };
  const viaRouter = async () => {
    const response = await authorized(router, dayViewQuery, window);
    checkDay(dataOf<{ edges: unknown[] }>(response, 'appointments').edges);
  };
  const direct = async () => {
    const page = dataOf<{ edges: Array<{ node: { patient: { id: string }; doctor: { id: string } } }> }>(
      await authorized(
        url(ports.appointmentPort),
        `query ($from: DateTime!, $to: DateTime!) { appointments(filter: { from: $from, to: $to }, first: 50) {
        edges { node { id start end status patient { id } doctor { id } } } } }`,
        window,
      ),
      'appointments',
    );
    const entities = async (typename: string, ids: string[]) => {
      const response = await authorized(
        url(typename === 'Patient' ? ports.patientPort : ports.doctorPort),
        `query ($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { id name { text } } } }`,
        { r: [...new Set(ids)].map((id) => ({ __typename: typename, id })) },
      );
      // _entities is a list of nullable entities: one that failed is a null beside an error, not a null list.
      if (response.errors) throw new Error(`_entities of ${typename}: ${JSON.stringify(response.errors)}`);
      return dataOf<Array<{ id: string; name: { text: string } }>>(response, '_entities');
    };
    const edges = page.edges;
    const [people, doctorsFound] = await Promise.all([
      entities(
        'Patient',
        edges.map((edge) => edge.node.patient.id),
      ),
      entities(
        'Doctor',
        edges.map((edge) => edge.node.doctor.id),
      ),
    ]);
    const names = new Map([...people, ...doctorsFound].map((e) => [e.id, e.name.text]));
    const joined = edges.map((edge) => ({
      ...edge.node,
      patient: { name: { text: names.get(edge.node.patient.id) } },
      doctor: { name: { text: names.get(edge.node.doctor.id) } },
    }));
    if (joined.some((row) => !row.patient.name.text || !row.doctor.name.text))
      throw new Error('join lost a name');
    checkDay(joined);
  };

  process.stdout.write(`day view: ${connections} workers × ${durationS} s each way…\n`);
  const directLoad = await load(direct, connections, durationS);
  const routerLoad = await load(viaRouter, connections, durationS);
  const idleDirect = await load(direct, 1, Math.max(2, Math.floor(durationS / 3)));
  const idleRouter = await load(viaRouter, 1, Math.max(2, Math.floor(durationS / 3)));

  process.stdout.write(`booking: ${connections} workers × ${durationS} s on 5 doctors' next 2 weeks…\n`);
  const outcomes = { booked: 0, conflict: 0 };
  const bookingStart = Date.UTC(new Date().getUTCFullYear() + 1, 1, 1);
  const book = async () => {
    const response = await authorized(router, bookMutation, {
      input: {
        patientId: patients[Math.floor(Math.random() * patients.length)],
        doctorId: doctors[Math.floor(Math.random() * doctors.length)],
        start: new Date(bookingStart + Math.floor(Math.random() * 14 * 48) * 30 * 60_000).toISOString(),
        durationMinutes: 30,
      },
    });
    if (!response.errors) outcomes.booked++;
    else if (errorCode(response) === 'CONFLICT') outcomes.conflict++;
    else throw new Error(`booking answered ${JSON.stringify(response.errors)}`);
  };
  const booking = await load(book, connections, durationS);

  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const rows = [
    ['day view (50 appts)', 'direct (3 requests)', directLoad, idleDirect],
    ['day view (50 appts)', 'router (1 request)', routerLoad, idleRouter],
  ] as const;
  process.stdout.write(
    '\n| operation | path | ops/s | p50 | p99 | unloaded p50 | unloaded p99 |\n|---|---|---|---|---|---|---|\n',
  );
  for (const [operation, path, loaded, idle] of rows)
    process.stdout.write(
      `| ${operation} | ${path} | ${loaded.perSecond.toFixed(0)} | ${ms(loaded.p50)} | ${ms(loaded.p99)} | ${ms(idle.p50)} | ${ms(idle.p99)} |\n`,
    );
  process.stdout.write(
    `\nrouter / direct: ops/s ${(routerLoad.perSecond / directLoad.perSecond).toFixed(2)}×, ` +
      `loaded p50 ${(routerLoad.p50 / directLoad.p50).toFixed(2)}×, unloaded p50 ${(idleRouter.p50 / idleDirect.p50).toFixed(2)}×\n`,
  );
  const attempts = outcomes.booked + outcomes.conflict;
  process.stdout.write(
    `booking: ${booking.perSecond.toFixed(0)} attempts/s (p50 ${ms(booking.p50)}, p99 ${ms(booking.p99)}), ` +
      `${((outcomes.booked / attempts) * booking.perSecond).toFixed(0)} booked/s, ` +
      `${((outcomes.conflict / attempts) * 100).toFixed(0)}% CONFLICT (${outcomes.booked} booked, ${outcomes.conflict} conflicts incl. warm-up)\n`,
  );

  process.stdout.write('\nstarting the stock gateway over the same subgraphs…\n');
  stock = await startStockGateway(stockPort, {
    patient: url(ports.patientPort),
    doctor: url(ports.doctorPort),
    appointment: url(ports.appointmentPort),
  });
  const nodes = (text: string) => {
    let count = 0;
    for (let at = text.indexOf('"node":'); at !== -1; at = text.indexOf('"node":', at + 7)) count++;
    return count;
  };
  const versus = await versusStock(
    {
      name: 'day view (50 appts)',
      body: JSON.stringify({ query: dayViewQuery, variables: window }),
      verify: (text) =>
        text.startsWith('{"data":{"appointments":') && !text.includes('"errors"') && nodes(text) === 50,
      headers: frontDesk,
    },
    [
      { name: 'router', url: router, pid: childPids('router/src/index.ts')[0] ?? 0 },
      { name: 'stock', url: stock.url, pid: stock.pid },
    ],
    { connections, durationS, warmupS, reps },
    (line) => process.stdout.write(`${line}\n`),
  );
  process.stdout.write(
    `\n${formatVersus(
      versus,
      `router vs stock @apollo/gateway (startStandaloneServer, node-fetch keep-alive agent), same subgraphs, ` +
        `autocannon: ${connections} connections × ${durationS} s, ${reps} alternating reps after ${warmupS} s warm-up each`,
    )}`,
  );
} finally {
  await stock?.stop();
  await system.stop();
  await dropRealModeStores(schemaPrefix);
}
