/**
 * Invoice PDFs under load: many parallel downloads through the router (billing verifies, checks the rules,
 * records the access and streams the render) while a probe asks billing's /health every 5 ms. Prints the
 * downloads' throughput and latency, and how long the probe waited at worst: what a parallel burst of
 * renders does to everybody else on the billing process. Real mode: billing its own process on the real
 * Postgres and Kafka; the invoice comes from a visit booked and completed through the graph, and every download renders it afresh.
 * Needs `npm run infra -- up`. Usage: node bench/invoice-pdf.ts [-- --parallel 50 --rounds 5]
 */
import { parseArgs } from 'node:util';
import {
  arrivedTooLate,
  dataOf,
  graphqlRequest,
  retryUnavailable,
  sessions,
  testAdmin,
  uniqueName,
  waitFor,
} from '@hsg/testing';
import { dropRealModeStores, freePorts, startRealMode } from '../launcher/src/real.ts';
import { percentile } from './stock.ts';

const { values } = parseArgs({
  options: {
    parallel: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '5' },
  },
});
process.env.LOG_LEVEL ??= 'warn';
const parallel = Number(values.parallel);
const rounds = Number(values.rounds);
const print = (line: string) => process.stdout.write(`${line}\n`);

const prefix = `${uniqueName('bench_pdf')}_`;
const ports = await freePorts();
const system = await startRealMode({ ports, schemaPrefix: prefix, quiet: true, admin: testAdmin });
try {
  const as = sessions(system.routerUrl);
  const headers = await as('BILLING');
  const urls = [await seedInvoice(system.routerUrl, as)];
  const billingHealth = `http://127.0.0.1:${ports.billing}/health`;

  const download = async (url: URL) => {
    const started = performance.now();
    const response = await fetch(url, { headers });
    const bytes = (await response.arrayBuffer()).byteLength;
    if (response.status !== 200 || bytes < 1000)
      throw new Error(`${url}: ${response.status}, ${bytes} bytes`);
    return { ms: performance.now() - started, bytes };
  };
  /** /health, one request after another, until stopped: each one's latency. */
  const probe = () => {
    let running = true;
    const latencies: number[] = [];
    const done = (async () => {
      while (running) {
        const started = performance.now();
        await (await fetch(billingHealth)).arrayBuffer();
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    return async () => {
      running = false;
      await done;
      return latencies.sort((a, b) => a - b);
    };
  };

  for (const url of urls.slice(0, 3)) await download(url); // warm: fonts, plans, connections
  const idle = probe();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const idleLatencies = await idle();

  const downloads: number[] = [];
  let bytes = 0;
  const stop = probe();
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    const results = await Promise.all(
      Array.from({ length: parallel }, (_, index) => download(urls[index % urls.length] as URL)),
    );
    for (const result of results) {
      downloads.push(result.ms);
      bytes += result.bytes;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const busyLatencies = await stop();
  downloads.sort((a, b) => a - b);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  print(`\ninvoice PDFs, real mode: ${rounds} rounds of ${parallel} parallel downloads through the router`);
  print(
    `  ${downloads.length} downloads in ${seconds.toFixed(2)} s: ${(downloads.length / seconds).toFixed(0)} PDFs/s, ` +
      `${(bytes / downloads.length / 1024).toFixed(1)} KiB each; latency p50 ${ms(percentile(downloads, 0.5))}, ` +
      `p99 ${ms(percentile(downloads, 0.99))}, max ${ms(downloads.at(-1) ?? 0)}`,
  );
  print(
    `  billing /health meanwhile: p50 ${ms(percentile(busyLatencies, 0.5))}, p99 ${ms(percentile(busyLatencies, 0.99))}, ` +
      `max ${ms(busyLatencies.at(-1) ?? 0)} (idle: p50 ${ms(percentile(idleLatencies, 0.5))}, max ${ms(idleLatencies.at(-1) ?? 0)})`,
  );
} finally {
  await system.stop();
  await dropRealModeStores(prefix);
}

/** A visit a moment ahead with a doctor who works around the clock, completed once begun: its invoice. */
async function seedInvoice(routerUrl: string, as: ReturnType<typeof sessions>): Promise<URL> {
  const desk = await as('FRONT_DESK');
  const gql = async (query: string, variables: Record<string, unknown>, headers = desk) =>
    graphqlRequest(routerUrl, query, variables, headers);
  const doctor = dataOf<{ id: string }>(
    await gql('mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }', {
      input: {
        name: { given: ['Pdf'], family: 'Bench' },
        licenseNumber: `BENCH-PDF-${Date.now()}`,
        specialties: ['General practice'],
        timeZone: 'Europe/Berlin',
        workingHours: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].map((weekday) => ({
          weekday,
          start: '00:00',
          end: '24:00',
        })),
        consultationFee: { amount: 6500, currency: 'EUR' },
      },
    }),
    'registerDoctor',
  );
  const patient = dataOf<{ id: string }>(
    await gql('mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }', {
      input: { name: { given: ['Pat'], family: 'Bench' }, birthDate: '1970-01-01', gender: 'UNKNOWN' },
    }),
    'registerPatient',
  );
  const booked = await retryUnavailable(
    () =>
      gql('mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }', {
        input: {
          patientId: patient.id,
          doctorId: doctor.id,
          start: new Date(Date.now() + 1_500).toISOString(),
          durationMinutes: 5,
        },
      }),
    { attempts: 150, delayMs: 100, also: arrivedTooLate },
  );
  const visit = dataOf<{ id: string }>(booked, 'bookAppointment').id;
  await new Promise((resolve) => setTimeout(resolve, 1_600));
  const clinician = await as('CLINICIAN', { doctorId: doctor.id });
  dataOf(
    await gql('mutation ($id: ID!) { completeAppointment(id: $id) { id } }', { id: visit }, clinician),
    'completeAppointment',
  );
  const billing = await as('BILLING');
  let pdfUrl: string | undefined;
  await waitFor(async () => {
    const answer = await gql('{ invoices(first: 1) { edges { node { pdfUrl } } } }', {}, billing);
    pdfUrl = (answer.data?.invoices as { edges: Array<{ node: { pdfUrl: string } }> } | undefined)?.edges[0]
      ?.node.pdfUrl;
    return pdfUrl !== undefined;
  }, 30_000);
  return new URL(pdfUrl as string, routerUrl);
}
