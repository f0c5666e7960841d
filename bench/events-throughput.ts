/**
 * Outbox → consumer on Kafka (real Postgres) and on the embedded log (PGlite), same run.
 * Burst: N events committed as fast as possible; throughput = N / (last applied − first commit).
 * Paced: events committed one by one at a steady rate; latency = applied − committed (after COMMIT returns).
 * Needs `npm run infra -- up`. Usage: npm run bench:events [-- --events 5000 --paced 300 --rate 100]
 */
import { parseArgs } from 'node:util';
import { silentLogger } from '@hsg/kit';
import {
  createEvent,
  createEventConsumer,
  createOutboxRelay,
  defineEvent,
  enqueueEvents,
  eventKitMigrations,
  on,
} from '@hsg/kit/events';
import { runMigrations } from '@hsg/kit/sql';
import { type EventBackend, embeddedLogBackend, kafkaBackend, uniqueName, waitFor } from '@hsg/testing';
import { z } from 'zod';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '10' },
    paced: { type: 'string', default: '300' },
    rate: { type: 'string', default: '100' },
  },
});
const burstEvents = Number(values.events);
const perTransaction = Number(values.batch);
const pacedEvents = Number(values.paced);
const ratePerSecond = Number(values.rate);

interface Result {
  transport: string;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
}

async function measure(backend: EventBackend): Promise<Result> {
  const logger = silentLogger();
  const topic = uniqueName('bench');
  const benched = defineEvent({ type: 'bench.tick', topic, data: z.object({ n: z.number() }) });
  const producer = await backend.sql.open(backend.sql.newNamespace());
  const consumerDb = await backend.sql.open(backend.sql.newNamespace());
  await runMigrations(producer, [eventKitMigrations]);
  await runMigrations(consumerDb, [eventKitMigrations]);
  const transport = await backend.transport();
  await transport.ensureTopics([{ topic }]);

  const committedAt = new Map<string, number>();
  /** Events applied before their COMMIT had returned to the producer (possible: NOTIFY fires at commit). */
  const appliedEarly = new Map<string, number>();
  const latencies: number[] = [];
  let applied = 0;
  let lastAppliedAt = 0;
  const relay = createOutboxRelay({ database: producer, transport, logger });
  const consumer = createEventConsumer({
    transport: await backend.transport(),
    database: consumerDb,
    groupId: uniqueName('bench'),
    logger,
    subscriptions: [
      on(benched, async (event) => {
        applied += 1;
        lastAppliedAt = performance.now();
        const committed = committedAt.get(event.id);
        if (committed !== undefined) latencies.push(lastAppliedAt - committed);
        else appliedEarly.set(event.id, lastAppliedAt);
      }),
    ],
  });
  await consumer.start();
  await relay.start();

  const commit = async (count: number, track: boolean) => {
    const events = Array.from({ length: count }, (_, n) =>
      createEvent(benched, { source: 'bench', subject: `k${n % 50}`, data: { n } }),
    );
    await producer.transaction((trx) =>
      enqueueEvents(
        producer,
        trx,
        events.map((event) => ({ definition: benched, event })),
      ),
    );
    if (!track) return;
    const now = performance.now();
    for (const event of events) {
      const early = appliedEarly.get(event.id);
      if (early === undefined) committedAt.set(event.id, now);
      else latencies.push(Math.max(0, early - now)); // applied before COMMIT returned: no lag to speak of
    }
  };

  // Warm-up, so connection set-up and JIT are not measured.
  await commit(50, false);
  await waitFor(() => applied >= 50, 60_000);

  const burstStart = performance.now();
  for (let sent = 0; sent < burstEvents; sent += perTransaction) await commit(perTransaction, false);
  await waitFor(() => applied >= 50 + burstEvents, 300_000);
  const eventsPerSecond = burstEvents / ((lastAppliedAt - burstStart) / 1000);

  for (let sent = 0; sent < pacedEvents; sent++) {
    const due = performance.now() + 1000 / ratePerSecond;
    await commit(1, true);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
  await waitFor(() => latencies.length >= pacedEvents, 60_000);

  await relay.stop();
  await consumer.stop();
  await backend.dispose();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    transport: backend.name,
    eventsPerSecond,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? Number.NaN,
  };
}

const results = [await measure(kafkaBackend()), await measure(embeddedLogBackend())];
const fmt = (value: number) => value.toFixed(1).padStart(9);
process.stdout.write(
  `outbox → consumer, ${burstEvents} events burst (${perTransaction}/transaction), ${pacedEvents} paced at ${ratePerSecond}/s\n` +
    'transport    events/s   p50 ms   p99 ms   max ms\n' +
    results
      .map((r) => `${r.transport.padEnd(10)}${fmt(r.eventsPerSecond)}${fmt(r.p50)}${fmt(r.p99)}${fmt(r.max)}`)
      .join('\n') +
    '\n',
);
const [kafka, embedded] = results;
if (kafka && embedded) {
  process.stdout.write(
    `embedded/kafka: throughput ${(embedded.eventsPerSecond / kafka.eventsPerSecond).toFixed(2)}×, p50 latency ${(embedded.p50 / kafka.p50).toFixed(2)}×\n`,
  );
}
