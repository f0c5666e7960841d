/**
 * MLLP end to end through the real graph, ACK after store: every part in real mode (its own process on the
 * real Postgres, MariaDB, Kafka and the Mongo-wire server) with the HL7 bridge in front. S senders at once,
 * each sending its next ORU^R01 (1 OBR, 3 to 10 OBX) when the ACK of its last arrived; the bridge answers AA
 * only after `recordLabResults` stored the results (through the router, as its INTEGRATION user). Reports
 * messages/s, results/s, ACK p50/p99, and the CPU per message of each part and of the whole machine, counted
 * over the run and the 2 s after it (the consumers of the results' events: analytics, notification, the
 * router's live feed, identity's audit trail). The target of issue 15 is 500 messages/s.
 * Needs `npm run infra -- up`. Usage:
 *   npm run bench:mllp [-- --seconds 10 --warmup 3 --senders 1,16 --patients 20]
 */
import { parseArgs } from 'node:util';
import { connectMllp, type MllpClient } from '@hsg/hl7-bridge';
import { dataOf, graphqlRequest, sessions, testAdmin, uniqueName } from '@hsg/testing';
import { dropRealModeStores, freePorts, startRealMode } from '../launcher/src/real.ts';
import { parts } from '../launcher/src/registry.ts';
import { hl7Stamp, labTests } from './lab-tests.ts';
import { childPids, clockTicks, machineBusyTicks, percentile, processTicks } from './stock.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--')),
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    senders: { type: 'string', default: '1,16' },
    patients: { type: 'string', default: '20' },
  },
});
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const senderCounts = values.senders.split(',').map(Number);
const patientCount = Number(values.patients);
process.env.LOG_LEVEL ??= 'warn';
const print = (line: string) => process.stdout.write(`${line}\n`);
const log = (line: string) => process.stderr.write(`${line}\n`);

const stamp = (minute: number) => hl7Stamp(Date.UTC(2026, 2, 1, 6, 0), minute, '+0000');

/** Message `index` for the patient `mrn`: 3 to 10 results, its own control ID (so never a resend). */
function oru(index: number, mrn: string): { text: string; results: number } {
  const count = 3 + (index % 8);
  const lines = [
    `MSH|^~\\&|SYNTH-LIS|SYNTH LAB|HSG|CLINIC|${stamp(index)}||ORU^R01^ORU_R01|MLLP-${index}|P|2.5.1`,
    `PID|1||${mrn}^^^HSG^MR||Bench^Patient||19700101|F`,
    `OBR|1|PLC-${index}|FIL-${index}|24323-8^Metabolic panel^LN|||${stamp(index)}|||||||||D-1^Doctor^Dana||||||${stamp(index)}|||F`,
  ];
  for (let position = 0; position < count; position++) {
    const [code, name, unit, low, high] = labTests[position] ?? labTests[0];
    const value = (((low + high) / 2) * (1 + (((index + position) % 7) - 3) / 10)).toFixed(1);
    const flag = Number(value) > high ? 'H' : Number(value) < low ? 'L' : 'N';
    lines.push(
      `OBX|${position + 1}|NM|${code}^${name}^LN||${value}|${unit}^${unit}^UCUM|${low}-${high}|${flag}|||F|||${stamp(index)}`,
    );
  }
  return { text: lines.join('\r'), results: count };
}

const prefix = `${uniqueName('bench_mllp')}_`;
log('starting every part in real mode, the HL7 bridge in front…');
const system = await startRealMode({
  ports: await freePorts(),
  schemaPrefix: prefix,
  quiet: true,
  admin: testAdmin,
});
const mllp = system.mllp;
if (!mllp) throw new Error('the HL7 bridge did not start');
let next = 0;
try {
  const frontDesk = await sessions(system.routerUrl)('FRONT_DESK');
  log(`registering ${patientCount} patients…`);
  const mrns: string[] = [];
  for (let n = 0; n < patientCount; n++) {
    const registered = await graphqlRequest(
      system.routerUrl,
      'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { mrn } }',
      {
        input: { name: { given: [`L${n}`], family: 'Quillsey' }, birthDate: '1970-01-01', gender: 'UNKNOWN' },
      },
      frontDesk,
    );
    mrns.push(dataOf<{ mrn: string }>(registered, 'registerPatient').mrn);
  }
  // The observation subgraph learns patients from their events: a result for one is AE until then.
  const probe = await connectMllp(mllp);
  for (const mrn of mrns) {
    for (let attempt = 1; !(await probe.send(oru(next++, mrn).text)).includes('MSA|AA|'); attempt++) {
      if (attempt === 150) throw new Error(`the observation subgraph never learned the patient ${mrn}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await probe.close();

  /** Each sender sends its next message when its last was acknowledged, until `ms` have passed. */
  async function load(clients: MllpClient[], ms: number) {
    const latencies: number[] = [];
    let messages = 0;
    let results = 0;
    let notAccepted = 0;
    const until = performance.now() + ms;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < until) {
          const index = next++;
          const message = oru(index, mrns[index % mrns.length] as string);
          const sent = performance.now();
          const ack = await client.send(message.text);
          latencies.push(performance.now() - sent);
          if (!ack.includes('MSA|AA|')) notAccepted += 1;
          else {
            messages += 1;
            results += message.results;
          }
        }
      }),
    );
    return {
      latencies: latencies.sort((a, b) => a - b),
      messages,
      results,
      notAccepted,
      wallS: (performance.now() - started) / 1000,
    };
  }

  const partPids = () => parts.map((part) => ({ name: part.name, pids: childPids(part.main) }));
  const ticks = (pids: number[]) => pids.reduce((sum, pid) => sum + (processTicks(pid) ?? 0), 0);
  print(
    `MLLP end to end through the real graph, ACK after store (${seconds} s per run, ${patientCount} patients)`,
  );
  for (const senders of senderCounts) {
    const clients = await Promise.all(Array.from({ length: senders }, () => connectMllp(mllp)));
    if (warmupSeconds > 0) await load(clients, warmupSeconds * 1000);
    const measured = partPids();
    const before = { parts: measured.map((part) => ticks(part.pids)), machine: machineBusyTicks() ?? 0 };
    const run = await load(clients, seconds * 1000);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the consumers of the results' events
    const perMessage = (spent: number) => ((spent / clockTicks) * 1000) / Math.max(1, run.messages);
    const byPart = measured
      .map((part, index) => ({
        name: part.name,
        ms: perMessage(ticks(part.pids) - (before.parts[index] ?? 0)),
      }))
      .filter((part) => part.ms >= 0.05)
      .sort((a, b) => b.ms - a.ms);
    print(
      `  ${String(senders).padStart(3)} senders: ${(run.messages / run.wallS).toFixed(0).padStart(5)} msg/s ` +
        `(${(run.results / run.wallS).toFixed(0)} results/s), ACK p50 ${percentile(run.latencies, 0.5).toFixed(1)} ms, ` +
        `p99 ${percentile(run.latencies, 0.99).toFixed(1)} ms${run.notAccepted > 0 ? `, ${run.notAccepted} not AA` : ''}`,
    );
    print(
      `      CPU per message: machine ${perMessage((machineBusyTicks() ?? 0) - before.machine).toFixed(1)} ms; ` +
        byPart.map((part) => `${part.name} ${part.ms.toFixed(2)}`).join(', '),
    );
    await Promise.all(clients.map((client) => client.close()));
  }
} finally {
  await system.stop();
  await dropRealModeStores(prefix);
}
