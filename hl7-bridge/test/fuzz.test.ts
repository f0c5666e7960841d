import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '@hsg/kit';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  connectMllp,
  createMemoryLabResultsSink,
  createMessageHandler,
  frameOf,
  graphLimits,
  type Hl7Bridge,
  MllpFramer,
  startHl7Bridge,
} from '../src/bridge.ts';
import { baseLines, message, prng, readAck, withField } from './helpers.ts';

/**
 * Random, truncated and mutated messages, thousands of them, at the handler and over real sockets at the
 * listener. The seed is printed; HL7_FUZZ_SEED=<seed> replays a run.
 */
const seed = Number(process.env.HL7_FUZZ_SEED ?? Date.now() % 2_147_483_647);
process.stderr.write(`hl7-bridge fuzz seed ${seed} (HL7_FUZZ_SEED=${seed} replays it)\n`);
const random = prng(seed);
const below = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[below(items.length)] as T;

const samples = [
  message(...baseLines()),
  message(
    'MSH|^~\\&|LIS|SYNTH LAB|HSG|CLINIC|20260201080000||ORU^R01|FZ-2|P|2.3',
    'PID|1||MRN-T-0300^^^HSG^MR~X^^^Y^PI||Fuzz^Fay',
    'ORC|RE|P-1|F-1',
    'OBR|1|P-1|F-1|1^Panel^L|||20260201',
    'OBX|1|SN|1^a^L||^1^:^128||<1:40|H|||F',
    'NTE|1||note \\.br\\ two \\X41\\',
    'OBX|2|CWE|2^b^LN||A^B^SCT||||||P|||20260201120000.12+0100',
    'OBX|3|FT|3^c^L||\\H\\x\\N\\~line||||||C',
    'OBX|4|DT|4^d^L||202602||||||F',
  ),
];
const alphabet = [
  '|',
  '^',
  '~',
  '\\',
  '&',
  '\r',
  '\n',
  '"',
  'MSH',
  'OBX',
  'PID',
  '\x0b',
  '\x1c',
  ' ',
  '9',
  '.',
  '-',
  '\u00fc',
  '\uFEFF',
];

/** A message damaged in one of many ways: cut, bytes changed, pieces inserted or dropped, or noise. */
function mutant(): Buffer {
  const text = pick(samples);
  switch (below(7)) {
    case 0:
      return Buffer.from(text.slice(0, below(text.length + 1)));
    case 1: {
      const bytes = Buffer.from(text);
      for (let flips = 1 + below(8); flips > 0; flips--) bytes[below(bytes.length)] = below(256);
      return bytes;
    }
    case 2: {
      let out = text;
      for (let inserts = 1 + below(6); inserts > 0; inserts--) {
        const at = below(out.length + 1);
        out = out.slice(0, at) + pick(alphabet) + out.slice(at);
      }
      return Buffer.from(out);
    }
    case 3: {
      const start = below(text.length);
      return Buffer.from(text.slice(0, start) + text.slice(start + below(40)));
    }
    case 4:
      return Buffer.from(Array.from({ length: below(400) }, () => below(256)));
    case 5: {
      const lines = text.split('\r');
      const line = below(lines.length);
      return Buffer.from(
        message(...withField(lines, line, 1 + below(20), pick(alphabet).repeat(1 + below(3)))),
      );
    }
    default:
      return Buffer.from(
        text
          .split('\r')
          .sort(() => random() - 0.5)
          .join(pick(['\r', '\n', '\r\n'])),
      );
  }
}

describe('fuzzing the handler', () => {
  it('answers every one of 5,000 damaged messages with one well-formed ACK and never stores nonsense', async () => {
    const sink = createMemoryLabResultsSink();
    const handler = createMessageHandler({ sink, logger: silentLogger() });
    const codes = new Map<string, number>();
    const wrong: string[] = [];
    for (let index = 0; index < 5000; index++) {
      const answer = await handler.handle(mutant(), 'mllp');
      const ack = readAck(answer.text);
      codes.set(ack.code, (codes.get(ack.code) ?? 0) + 1);
      if (!answer.text.startsWith('MSH') || !['AA', 'AE', 'AR'].includes(ack.code))
        wrong.push(`message ${index}: not an ACK`);
      else if (ack.code !== 'AA' && ack.errors.length === 0)
        wrong.push(`message ${index}: ${ack.code} without ERR`);
    }
    for (const call of sink.calls) {
      if (call.patientMrn === '') wrong.push('a call without a patient');
      if (call.results.length === 0 || call.results.length > graphLimits.maxResultsPerCall)
        wrong.push(`a call with ${call.results.length} results`);
      if (call.results.some((result) => result.code.code === '')) wrong.push('a result without a code');
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect((codes.get('AE') ?? 0) + (codes.get('AR') ?? 0)).toBeGreaterThan(0);
  }, 120_000);
});

describe('fuzzing the listener over sockets', () => {
  let bridge: Hl7Bridge;
  const sink = createMemoryLabResultsSink();

  beforeAll(async () => {
    bridge = await startHl7Bridge({
      sink,
      mllpPort: 0,
      httpPort: false,
      maxFrameBytes: 4096,
      idleTimeoutMs: 10_000,
    });
  });
  afterAll(() => bridge.close(1000));

  /** One connection: random frames, noise and cuts in random chunks, then a valid message it must get AA for. */
  async function fuzzConnection(index: number, frames: number): Promise<{ acks: string[]; last: string }> {
    const socket = connect({ port: bridge.mllpPort, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const framer = new MllpFramer(1 << 24);
    const acks: string[] = [];
    const finalId = `FUZZ-FINAL-${seed}-${index}`;
    const done = new Promise<string>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        for (const event of framer.push(chunk)) {
          if (event.kind !== 'frame') continue;
          const text = event.payload.toString('utf8');
          acks.push(text);
          if (readAck(text).controlId === finalId) resolve(text);
        }
      });
      socket.once('close', () => reject(new Error(`connection ${index} closed before its final ACK`)));
      socket.once('error', reject);
    });
    const parts: Buffer[] = [];
    for (let count = 0; count < frames; count++) {
      const choice = below(10);
      if (choice < 6) parts.push(frameOf(mutant()));
      else if (choice < 7) parts.push(Buffer.from(Array.from({ length: below(64) }, () => below(256))));
      else if (choice < 8) parts.push(frameOf(mutant()).subarray(0, 1 + below(50)));
      else if (choice < 9) parts.push(frameOf(Buffer.alloc(4096 + below(8192), 'x')));
      else parts.push(frameOf(message(...withField(baseLines(), 0, 10, `FUZZ-${seed}-${index}-${count}`))));
    }
    const stream = Buffer.concat(parts);
    for (let offset = 0; offset < stream.length; ) {
      const size = 1 + below(random() < 0.1 ? 8 : 2048);
      socket.write(stream.subarray(offset, offset + size));
      offset += size;
      if (random() < 0.05) await sleep(1);
    }
    socket.write(frameOf(message(...withField(baseLines(), 0, 10, finalId))));
    const last = await done;
    socket.end();
    await new Promise((resolve) => socket.once('close', resolve));
    return { acks, last };
  }

  it('survives thousands of random and truncated frames from 20 senders and still answers AA', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => fuzzConnection(index, 150)));
    for (const { acks, last } of results) {
      expect(readAck(last).code).toBe('AA');
      for (const ack of acks) expect(['AA', 'AE', 'AR']).toContain(readAck(ack).code);
    }
    expect(results.reduce((sum, { acks }) => sum + acks.length, 0)).toBeGreaterThan(1000);
    const deadline = Date.now() + 20_000;
    while (bridge.connections > 0 && Date.now() < deadline) await sleep(20);
    expect(bridge.connections).toBe(0);
    const fresh = await connectMllp({ port: bridge.mllpPort });
    const ack = readAck(await fresh.send(message(...withField(baseLines(), 0, 10, `AFTER-FUZZ-${seed}`))));
    await fresh.close();
    expect(ack.code).toBe('AA');
  }, 120_000);
});
