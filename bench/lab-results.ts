/**
 * Lab results and the dashboard, real mode (each part its own process on the real Postgres, Kafka and the
 * Mongo-wire server), in one run:
 * 1. recordLabResults through the router as a lab system (INTEGRATION), batches of 10, C clients at once
 *    until R results are stored: results/s.
 * 2. `patient { observations(filter) }` of one patient among those R stored results, three filters, each
 *    S times one after another, straight at the observation subgraph and through the router: p50, p99.
 * 3. Event → dashboard lag: one batch recorded, then the dashboard asked every 10 ms until it counts it:
 *    p50, p99 over L samples (Kafka, the relay and analytics' consumer on the way).
 * 4. Rebuild: `node subgraphs/analytics/src/rebuild.ts` for the run's events (R results and the rest):
 *    its wall time, and the dashboard equal before and after.
 * 5. The same lag as 3 in embedded mode (one process, the embedded log in PGlite instead of Kafka).
 * Needs `npm run infra -- up`. Usage:
 *   node bench/lab-results.ts [-- --results 100000 --clients 8 --samples 200 --lags 50]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { infraEnv } from '@hsg/infra';
import { silentLogger } from '@hsg/kit';
import { dataOf, graphqlRequest, retryUnavailable, sessions, testAdmin, uniqueName } from '@hsg/testing';
import { anyPorts, startEmbedded } from '../launcher/src/embedded.ts';
import { repoRoot } from '../launcher/src/processes.ts';
import { dropRealModeStores, freePorts, startRealMode, topicPrefixOf } from '../launcher/src/real.ts';
import { percentile } from './stock.ts';

const { values } = parseArgs({
  options: {
    results: { type: 'string', default: '100000' },
    clients: { type: 'string', default: '8' },
    samples: { type: 'string', default: '200' },
    lags: { type: 'string', default: '50' },
  },
});
const resultCount = Number(values.results);
const clients = Number(values.clients);
const samples = Number(values.samples);
const lagSamples = Number(values.lags);
process.env.LOG_LEVEL ??= 'warn';
const print = (line: string) => process.stdout.write(`${line}\n`);
const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (value: number) => `${value.toFixed(1)} ms`;
const stats = (latencies: number[]) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return `p50 ${ms(percentile(sorted, 0.5))}, p99 ${ms(percentile(sorted, 0.99))}`;
};

const tests = [
  { code: '2345-7', unit: 'mg/dL', low: 70, high: 99 },
  { code: '718-7', unit: 'g/dL', low: 12, high: 17.5 },
  { code: '2823-3', unit: 'mmol/L', low: 3.5, high: 5.1 },
  { code: '2160-0', unit: 'mg/dL', low: 0.6, high: 1.3 },
  { code: '1742-6', unit: 'U/L', low: 7, high: 56 },
];
/** Ten results, every fourth high: one lab message. */
const batchOf = (message: number) =>
  Array.from({ length: 10 }, (_, position) => {
    const test = tests[position % tests.length] as (typeof tests)[number];
    const high = (message + position) % 4 === 0;
    return {
      code: { system: 'http://loinc.org', code: test.code },
      status: 'FINAL',
      effective: new Date(Date.now() - (message % 1000) * 60_000).toISOString(),
      valueQuantity: { value: high ? test.high * 1.3 : (test.low + test.high) / 2, unit: test.unit },
      interpretation: [high ? 'H' : 'N'],
    };
  });

const prefix = `${uniqueName('bench_lab')}_`;
const ports = await freePorts();
const system = await startRealMode({ ports, schemaPrefix: prefix, quiet: true, admin: testAdmin });
try {
  const as = sessions(system.routerUrl);
  const desk = await as('FRONT_DESK');
  // Renewed before each phase: on a busy machine the run outlasts an access token (15 minutes).
  let [lab, admin] = [await as('INTEGRATION'), await as('ADMIN')];
  const renewTokens = async () => {
    const again = sessions(system.routerUrl);
    [lab, admin] = [await again('INTEGRATION'), await again('ADMIN')];
  };
  const gql = (
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
    url = system.routerUrl,
  ) => graphqlRequest(url, query, variables, headers);
  const patients: string[] = [];
  for (let index = 0; index < 20; index++) {
    const registered = await gql(
      'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      {
        input: {
          name: { given: [`L${index}`], family: 'Bench' },
          birthDate: '1970-01-01',
          gender: 'UNKNOWN',
        },
      },
      desk,
    );
    patients.push(dataOf<{ id: string }>(registered, 'registerPatient').id);
  }
  const RECORD =
    'mutation ($input: RecordLabResultsInput!) { recordLabResults(input: $input) { duplicate observations { id } } }';
  const record = (message: number) =>
    retryUnavailable(
      () =>
        gql(
          RECORD,
          {
            input: {
              patientId: patients[message % patients.length],
              source: { sendingFacility: 'BENCH-LAB', messageId: `M${message}`, placerOrder: `O${message}` },
              results: batchOf(message),
            },
          },
          lab,
        ),
      { attempts: 100, delayMs: 100 },
    ).then((answer) => dataOf(answer, 'recordLabResults'));

  // 1. Throughput.
  const messages = Math.ceil(resultCount / 10);
  let nextMessage = 0;
  log(`recording ${messages * 10} results, ${clients} clients…`);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (nextMessage < messages) await record(nextMessage++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  print(`\nlab results, real mode (${clients} clients, batches of 10)`);
  print(
    `  recordLabResults: ${messages * 10} results in ${seconds.toFixed(1)} s = ${((messages * 10) / seconds).toFixed(0)} results/s`,
  );

  // 2. Filtered reads of one patient (about R/20 results), straight and through the router.
  const reader = await as('PATIENT', { patientId: patients[0] });
  const direct = `http://127.0.0.1:${ports.observation}/graphql`;
  const filters = [
    ['abnormalOnly', { abnormalOnly: true }],
    ['one code', { code: '2345-7' }],
    ['code + last day', { code: '718-7', from: new Date(Date.now() - 86_400_000).toISOString() }],
  ] as const;
  for (const [name, filter] of filters) {
    for (const [path, url, query] of [
      [
        'router',
        system.routerUrl,
        `query ($id: ID!, $filter: ObservationFilter) { patient(id: $id) { observations(filter: $filter, first: 20) { totalCount edges { node { id valueQuantity { value } abnormal } } } } }`,
      ],
      [
        'direct',
        direct,
        `query ($id: ID!, $filter: ObservationFilter) { observations(patientId: $id, filter: $filter, first: 20) { totalCount edges { node { id valueQuantity { value } abnormal } } } }`,
      ],
    ] as const) {
      const latencies: number[] = [];
      for (let sample = 0; sample < samples; sample++) {
        const at = performance.now();
        const answer = await gql(query, { id: patients[0], filter }, reader, url);
        if (answer.errors) throw new Error(`${name} via ${path}: ${JSON.stringify(answer.errors)}`);
        latencies.push(performance.now() - at);
      }
      print(
        `  observations(${name}) via ${path.padEnd(6)}: ${stats(latencies)} (${samples} one after another)`,
      );
    }
  }

  // 3. Event → dashboard lag.
  await renewTokens();
  const today = new Date().toISOString().slice(0, 10);
  const DASHBOARD = `{ dashboard(from: "${today}", to: "${today}") { resultsReceived patientsRegistered abnormalResultRate } }`;
  const received = async () =>
    dataOf<{ resultsReceived: number }>(await gql(DASHBOARD, {}, admin), 'dashboard').resultsReceived;
  while ((await received()) < messages * 10) await new Promise((resolve) => setTimeout(resolve, 500));
  const lags = await lagOf(received, (sample) => record(messages + sample));
  print(`  event → dashboard (Kafka): ${stats(lags)} over ${lagSamples} batches`);

  // 4. Rebuild.
  await renewTokens();
  const live = await gql(DASHBOARD, {}, admin);
  const rebuildStarted = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['subgraphs/analytics/src/rebuild.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: infraEnv().MONGO_URL,
        DATABASE_NAME: `${prefix}analytics`,
        KAFKA_BROKERS: infraEnv().KAFKA_BROKERS,
        KAFKA_TOPIC_PREFIX: topicPrefixOf(prefix),
        JWKS_URL: `http://127.0.0.1:${ports.identity}/.well-known/jwks.json`,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rebuild exited ${code}`))));
  });
  const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
  const rebuilt = await gql(DASHBOARD, {}, admin);
  const events = messages * 10 + lagSamples * 10 + patients.length;
  print(
    `  rebuild: ~${events} events in ${rebuildSeconds.toFixed(1)} s (3 s of it waiting for quiet); ` +
      `dashboard equal after: ${JSON.stringify(rebuilt.data) === JSON.stringify(live.data)}`,
  );
} finally {
  await system.stop();
  await dropRealModeStores(prefix);
}

// 5. The embedded log.
const embedded = await startEmbedded({
  ports: anyPorts(),
  demoData: false,
  logger: silentLogger(),
  admin: testAdmin,
});
try {
  const as = sessions(embedded.routerUrl);
  const [desk, lab, admin] = [await as('FRONT_DESK'), await as('INTEGRATION'), await as('ADMIN')];
  const patient = dataOf<{ id: string }>(
    await graphqlRequest(
      embedded.routerUrl,
      'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      { input: { name: { given: ['E'], family: 'Bench' }, birthDate: '1970-01-01', gender: 'UNKNOWN' } },
      desk,
    ),
    'registerPatient',
  ).id;
  const today = new Date().toISOString().slice(0, 10);
  const received = async () =>
    dataOf<{ resultsReceived: number }>(
      await graphqlRequest(
        embedded.routerUrl,
        `{ dashboard(from: "${today}", to: "${today}") { resultsReceived } }`,
        {},
        admin,
      ),
      'dashboard',
    ).resultsReceived;
  const lags = await lagOf(received, async (sample) => {
    const answer = await retryUnavailable(
      () =>
        graphqlRequest(
          embedded.routerUrl,
          'mutation ($input: RecordLabResultsInput!) { recordLabResults(input: $input) { duplicate } }',
          {
            input: {
              patientId: patient,
              source: { sendingFacility: 'BENCH-LAB', messageId: `E${sample}`, placerOrder: `E${sample}` },
              results: batchOf(sample),
            },
          },
          lab,
        ),
      { attempts: 100, delayMs: 100 },
    );
    dataOf(answer, 'recordLabResults');
  });
  print(`  event → dashboard (embedded log): ${stats(lags)} over ${lagSamples} batches`);
} finally {
  await embedded.stop();
}

/** Records a batch of 10, then asks the dashboard every 10 ms until it counts them: the time it took. */
async function lagOf(received: () => Promise<number>, record: (sample: number) => Promise<unknown>) {
  const lags: number[] = [];
  for (let sample = 0; sample < lagSamples; sample++) {
    const before = await received();
    const at = performance.now();
    await record(sample + 1_000_000);
    while ((await received()) < before + 10) await new Promise((resolve) => setTimeout(resolve, 10));
    lags.push(performance.now() - at);
  }
  return lags;
}
