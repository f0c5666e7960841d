/**
 * The HL7 v2 bridge, in one run, no infrastructure needed:
 * 1. Parse + map on one core: typical ORU^R01 messages (1 OBR, 3 to 10 OBX, NM with units, ranges and
 *    flags, now and then an ST and an NTE) → recordLabResults calls, as messages/s and µs per message
 *    (wall clock and this process's CPU time); beside it @medplum/core's Hl7Message.parse on the same
 *    messages (parse and read OBX-3/OBX-5 only, as TOOLCHAIN.md measured it) and the whole handler (the
 *    ACK built too, a sink that answers at once). The target is 20,000 messages/s.
 * 2. MLLP end to end: S senders at once over loopback, each sending its next message when the ACK of the
 *    last arrived, the ACK written after the in-memory sink resolved: messages/s, ACK latency p50 and p99.
 *    Senders and bridge share this one process.
 * Usage: npm run bench:hl7 [-- --seconds 3 --senders 1,8,32] (or node bench/hl7-bridge.ts [--seconds …])
 */
import { parseArgs } from 'node:util';
import { silentLogger } from '@hsg/kit';
import { hl7Stamp, labTests } from './lab-tests.ts';
import { percentile } from './stock.ts';

const { values } = parseArgs({
  // `node bench/hl7-bridge.ts -- --seconds 5` works too.
  args: process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--')),
  options: {
    seconds: { type: 'string', default: '3' },
    senders: { type: 'string', default: '1,8,32' },
  },
});
const seconds = Number(values.seconds);
const senderCounts = values.senders.split(',').map(Number);
const print = (line: string) => process.stdout.write(`${line}\n`);

// bench/tsconfig.json does not reference the hl7-bridge project, so its modules are loaded by URL (tsc does
// not follow a computed specifier); the few shapes used are declared here.
interface Sink {
  record(input: { results: unknown[] }): Promise<{ duplicate: boolean; stored: number }>;
}
interface BridgeModule {
  readMessage(
    bytes: Buffer,
    settings: { processingIds: string[]; defaultTimeZone: string; maxResultsPerCall: number },
  ): { kind: string; results?: number };
  createMessageHandler(options: { sink: Sink; logger: unknown }): {
    handle(bytes: Buffer, transport: 'mllp'): Promise<{ code: string }>;
  };
  createMemoryLabResultsSink(): Sink & { stored: unknown[] };
  startHl7Bridge(options: {
    sink: Sink;
    mllpPort: number;
    httpPort: false;
  }): Promise<{ mllpPort: number; close(graceMs?: number): Promise<void> }>;
  connectMllp(options: {
    port: number;
  }): Promise<{ send(message: string): Promise<string>; close(): Promise<void> }>;
}
interface MedplumModule {
  medplumObservations(text: string): Array<[string, string]>;
}
const load = <T>(path: string) => import(new URL(path, import.meta.url).href) as Promise<T>;
const bridge = await load<BridgeModule>('../hl7-bridge/src/bridge.ts');
const medplum = await load<MedplumModule>('../hl7-bridge/test/medplum-baseline.ts');

const stamp = (minute: number) => hl7Stamp(Date.UTC(2026, 1, 1, 7, 0), minute, '+0100');

/** Message i: 3 to 10 results, its own control ID and times. */
function oru(index: number): string {
  const count = 3 + (index % 8);
  const lines = [
    `MSH|^~\\&|SYNTH-LIS|SYNTH LAB|HSG|CLINIC|${stamp(index + 30)}||ORU^R01^ORU_R01|BENCH-${index}|P|2.5.1`,
    `PID|1||MRN-B-${String(index % 997).padStart(4, '0')}^^^HSG^MR||Bench^Patient||19800101|F`,
    `ORC|RE|PLC-${index}|FIL-${index}`,
    `OBR|1|PLC-${index}|FIL-${index}|24323-8^Comprehensive metabolic panel^LN|||${stamp(index)}|||||||||D-1^Doctor^Dana^^^Dr||||||${stamp(index + 30)}|||F`,
  ];
  for (let position = 0; position < count; position++) {
    const [code, name, unit, low, high] = labTests[position] ?? labTests[0];
    const value = (((low + high) / 2) * (1 + (((index + position) % 7) - 3) / 10)).toFixed(1);
    const flag = Number(value) > high ? 'H' : Number(value) < low ? 'L' : 'N';
    if (position === count - 1 && index % 3 === 0)
      lines.push(`OBX|${position + 1}|ST|5778-6^Color of Urine^LN||Yellow||||||F`);
    else
      lines.push(
        `OBX|${position + 1}|NM|${code}^${name}^LN||${value}|${unit}^${unit}^UCUM|${low}-${high}|${flag}|||F|||${stamp(index)}`,
      );
    if (position === 0 && index % 4 === 0) lines.push('NTE|1|L|Specimen slightly hemolyzed.');
  }
  return lines.join('\r');
}

const pool = Array.from({ length: 1000 }, (_, index) => oru(index));
const buffers = pool.map((text) => Buffer.from(text));
const averageResults =
  pool.reduce((sum, text) => sum + (text.match(/\rOBX\|/g)?.length ?? 0), 0) / pool.length;
const settings = { processingIds: ['P'], defaultTimeZone: 'UTC', maxResultsPerCall: 100 };

type Step = (index: number) => unknown | Promise<unknown>;
interface Round {
  perSecond: number;
  wallMicros: number;
  cpuMicros: number;
}

/** Runs `step(i)` over the pool for `ms`: messages/s and µs per message, wall clock and CPU time. */
async function round(step: Step, ms: number): Promise<Round> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < ms) {
    for (let batch = 0; batch < 100; batch++) {
      const result = step(count % pool.length);
      if (result instanceof Promise) await result;
      count += 1;
    }
  }
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    perSecond: (count / wall) * 1000,
    wallMicros: (wall * 1000) / count,
    cpuMicros: (used.user + used.system) / count,
  };
}

/**
 * Each step warmed up (V8 reaches its optimised code only after a while), then 5 rounds of each, taken in
 * turn so that every step sees the same machine: the best round of each (what the code does on one core)
 * and the median one (how much a busy machine took from it).
 */
async function compare(steps: Array<[string, Step]>, ms: number) {
  for (const [, step] of steps) await round(step, ms / 2);
  const rounds = steps.map((): Round[] => []);
  for (let turn = 0; turn < 5; turn++)
    for (const [index, [, step]] of steps.entries()) rounds[index]?.push(await round(step, ms / 5));
  const count = (value: number, width: number) => Math.round(value).toLocaleString('en-US').padStart(width);
  for (const [index, [name]] of steps.entries()) {
    const sorted = (rounds[index] ?? []).sort((a, b) => b.perSecond - a.perSecond);
    const [best, , median] = sorted as [Round, Round, Round];
    print(
      `  ${name.padEnd(47)} ${count(best.perSecond, 7)} msg/s (median ${count(median.perSecond, 7)})   ` +
        `${best.wallMicros.toFixed(1).padStart(5)} µs wall   ${best.cpuMicros.toFixed(1).padStart(5)} µs CPU`,
    );
  }
}

print(
  `1. Parse + map, one core (${pool.length} distinct ORU^R01, ${averageResults.toFixed(1)} OBX on average)`,
);
for (let index = 0; index < pool.length; index++) {
  const read = bridge.readMessage(buffers[index] as Buffer, settings);
  if (read.kind !== 'calls') throw new Error(`bench message ${index} does not map: ${read.kind}`);
}
const instant: Sink = { record: async (input) => ({ duplicate: false, stored: input.results.length }) };
const handler = bridge.createMessageHandler({ sink: instant, logger: silentLogger() });
await compare(
  [
    [
      'bridge: bytes → recordLabResults calls',
      (index) => bridge.readMessage(buffers[index] as Buffer, settings),
    ],
    [
      '@medplum/core Hl7Message.parse (+ OBX-3, OBX-5)',
      (index) => medplum.medplumObservations(pool[index] as string),
    ],
    [
      'bridge: whole handler (ACK built, instant sink)',
      (index) => handler.handle(buffers[index] as Buffer, 'mllp'),
    ],
  ],
  seconds * 1000,
);

print('2. MLLP end to end, ACK after the in-memory sink resolved (senders and bridge in this process)');
for (const senders of senderCounts) {
  const sink = bridge.createMemoryLabResultsSink();
  const running = await bridge.startHl7Bridge({ sink, mllpPort: 0, httpPort: false });
  const clients = await Promise.all(
    Array.from({ length: senders }, () => bridge.connectMllp({ port: running.mllpPort })),
  );
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < until) {
        // A pool message under a new control ID: stored, not a duplicate.
        const id = next++;
        const text = (pool[id % pool.length] as string).replace(/\|BENCH-\d+\|/, `|E2E-${senders}-${id}|`);
        const sent = performance.now();
        const ack = await client.send(text);
        latencies.push(performance.now() - sent);
        if (!ack.includes('MSA|AA|')) failed += 1;
      }
    }),
  );
  const wall = performance.now() - started;
  await Promise.all(clients.map((client) => client.close()));
  await running.close(1000);
  latencies.sort((a, b) => a - b);
  print(
    `  ${String(senders).padStart(3)} senders: ${Math.round((latencies.length / wall) * 1000)
      .toLocaleString('en-US')
      .padStart(
        7,
      )} msg/s, ACK p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms` +
      `, ${sink.stored.length} stored${failed > 0 ? `, ${failed} not AA` : ''}`,
  );
}
