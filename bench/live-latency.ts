/**
 * Live subscriptions, real mode (each part its own process on the real Postgres, Kafka, MariaDB and the
 * Mongo-wire server): commit → subscriber latency of `appointmentChanged`.
 *
 * The commit's instant is the event's `time` (written in the booking's transaction, answered as
 * `occurredAt`); the subscriber's is when its client parses the message. Same machine, same clock. Each
 * round books one appointment and waits until every subscriber has it. The split: a plain Kafka consumer
 * in this process takes each event's arrival off the topic too (commit → outbox relay → Kafka → a
 * consumer), and the first and the last subscriber of each round are reported. Three shapes:
 *   - N subscribers of one principal with one selection: one resolution per event, shared;
 *   - the same with P principals: P resolutions per event (each through the gateway with its own token).
 *
 *   node bench/live-latency.ts [-- --rounds 50 --principals 20]
 */
import { parseArgs } from 'node:util';
import { appointmentTopic } from '@hsg/contracts';
import { infraEnv } from '@hsg/infra';
import { silentLogger } from '@hsg/kit';
import { createKafkaTransport, decodeEnvelope } from '@hsg/kit/events';
import {
  dataOf,
  graphqlRequest,
  liveConnection,
  retryUnavailable,
  sessions,
  testAdmin,
  uniqueName,
} from '@hsg/testing';
import { dropRealModeStores, freePorts, startRealMode } from '../launcher/src/real.ts';
import { percentile } from './stock.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '50' },
    principals: { type: 'string', default: '20' },
  },
});
const rounds = Number(values.rounds);
const principals = Number(values.principals);
process.env.LOG_LEVEL ??= 'warn';
const print = (line: string) => process.stdout.write(`${line}\n`);
const ms = (value: number) => `${value.toFixed(1)} ms`;
const stats = (latencies: number[]) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return `p50 ${ms(percentile(sorted, 0.5))}, p99 ${ms(percentile(sorted, 0.99))}, max ${ms(sorted.at(-1) ?? 0)}`;
};
const CHANGES =
  'subscription ($d: ID) { appointmentChanged(doctorId: $d) { kind occurredAt appointment { id start } } }';
const allWeek = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].map((weekday) => ({
  weekday,
  start: '00:00',
  end: '24:00',
}));

const prefix = `${uniqueName('bench_live')}_`;
const system = await startRealMode({
  ports: await freePorts(),
  schemaPrefix: prefix,
  quiet: true,
  admin: testAdmin,
});
try {
  const as = sessions(system.routerUrl);
  const desk = await as('FRONT_DESK');
  const gql = (query: string, variables: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, desk);
  const { id: patientId } = dataOf<{ id: string }>(
    await gql('mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }', {
      input: { name: { given: ['Bench'], family: 'Live' }, birthDate: '1970-01-01', gender: 'OTHER' },
    }),
    'registerPatient',
  );
  const { id: doctorId } = dataOf<{ id: string }>(
    await gql('mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }', {
      input: {
        name: { given: ['Bench'], family: 'Live' },
        licenseNumber: uniqueName('LIC').replaceAll('_', '-'),
        specialties: ['General practice'],
        timeZone: 'UTC',
        workingHours: allWeek,
        consultationFee: { amount: 1000, currency: 'EUR' },
      },
    }),
    'registerDoctor',
  );
  let slot = 0;
  const book = () =>
    retryUnavailable(
      () =>
        gql('mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }', {
          input: {
            patientId,
            doctorId,
            start: new Date(Date.UTC(2031, 0, 1) + slot++ * 15 * 60_000).toISOString(),
            durationMinutes: 15,
          },
        }),
      { attempts: 150, delayMs: 100 },
    );
  // The event's arrival at a Kafka consumer (no router, no gateway, no websocket), by appointment id.
  const kafka = createKafkaTransport({
    brokers: infraEnv().KAFKA_BROKERS.split(','),
    clientId: uniqueName('bench_live_tap'),
    topicPrefix: system.topicPrefix,
    logger: silentLogger(),
  });
  const tapped = new Map<string, number>();
  await kafka.consume({
    groupId: uniqueName('bench_live_tap'),
    topics: [appointmentTopic],
    fromBeginning: false,
    onBatch: async (batch) => {
      for (const record of batch.records) {
        const decoded = decodeEnvelope(record.value);
        if (decoded.kind === 'event')
          tapped.set(decoded.event.subject, Date.now() - Date.parse(decoded.event.time));
        batch.markProcessed(record);
      }
    },
  });
  const subscribers = async () =>
    ((await (await fetch(new URL('/live', system.routerUrl))).json()) as { subscribers: number }).subscribers;

  const measure = async (label: string, count: number, tokens: Array<Record<string, string>>) => {
    const connections = Array.from({ length: count }, (_, index) =>
      liveConnection(system.routerUrl, tokens[index % tokens.length]),
    );
    const arrivals: number[][] = connections.map(() => []);
    const subs = connections.map((connection, index) => {
      const subscription = connection.subscribe(CHANGES, { d: doctorId });
      const original = subscription.results.push.bind(subscription.results);
      // The arrival instant, taken as the client parses each message.
      subscription.results.push = (...items) => {
        arrivals[index]?.push(Date.now());
        return original(...items);
      };
      return subscription;
    });
    while ((await subscribers()) < count) await new Promise((resolve) => setTimeout(resolve, 50));
    const latencies: number[] = [];
    const toKafka: number[] = [];
    const first: number[] = [];
    const last: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const booked = dataOf<{ id: string }>(await book(), 'bookAppointment');
      while (subs.some((subscription) => subscription.results.length <= round))
        await new Promise((resolve) => setTimeout(resolve, 2));
      const round_: number[] = [];
      for (const [index, subscription] of subs.entries()) {
        const change = subscription.results[round]?.data?.appointmentChanged as { occurredAt: string };
        round_.push((arrivals[index]?.[round] ?? 0) - Date.parse(change.occurredAt));
      }
      latencies.push(...round_);
      first.push(Math.min(...round_));
      last.push(Math.max(...round_));
      while (!tapped.has(booked.id)) await new Promise((resolve) => setTimeout(resolve, 2));
      toKafka.push(tapped.get(booked.id) ?? 0);
    }
    print(`  ${label}: ${stats(latencies)} (${rounds} bookings × ${count} subscribers)`);
    print(`    commit → a Kafka consumer: ${stats(toKafka)}`);
    print(`    first subscriber of each booking: ${stats(first)}; last: ${stats(last)}`);
    for (const connection of connections) await connection.dispose();
    while ((await subscribers()) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  const tokens: Array<Record<string, string>> = [];
  for (let index = 0; index < principals; index++)
    tokens.push(await sessions(system.routerUrl)('FRONT_DESK'));
  print(`\nlive subscriptions, real mode: commit → subscriber (appointmentChanged)`);
  await measure('100 subscribers, 1 principal', 100, [desk]);
  await measure('1,000 subscribers, 1 principal', 1000, [desk]);
  await measure(`1,000 subscribers, ${principals} principals`, 1000, tokens);
  await kafka.close();
} finally {
  await system.stop();
  await dropRealModeStores(prefix);
}
