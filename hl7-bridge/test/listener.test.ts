import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@hsg/kit';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  connectMllp,
  contentFailure,
  createMemoryLabResultsSink,
  frameOf,
  type Hl7Bridge,
  type Hl7BridgeOptions,
  type LabResultsSink,
  startHl7Bridge,
  unavailableFailure,
} from '../src/bridge.ts';
import { baseLines, baseMessage, manualSink, message, readAck, withField } from './helpers.ts';

const bridges: Hl7Bridge[] = [];
const clients: Array<{ close(): Promise<void> }> = [];

async function start(options: Partial<Hl7BridgeOptions> = {}) {
  const bridge = await startHl7Bridge({
    sink: createMemoryLabResultsSink(),
    mllpPort: 0,
    httpPort: 0,
    ...options,
  });
  bridges.push(bridge);
  return bridge;
}

async function client(bridge: Hl7Bridge, timeoutMs = 20_000) {
  const connection = await connectMllp({ port: bridge.mllpPort, timeoutMs });
  clients.push(connection);
  return connection;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((connection) => connection.close()));
  await Promise.all(bridges.splice(0).map((bridge) => bridge.close(1000)));
});

/** The base message under another control ID (and so another graph key). */
const numbered = (id: string, lines = baseLines()) => message(...withField(lines, 0, 10, id));

/** Resolves when the condition holds, polling; generous: CI is a busy two-core box. */
async function eventually(condition: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('the MLLP listener', () => {
  it('reassembles a message sent one byte at a time', async () => {
    const bridge = await start();
    const sender = await client(bridge);
    const ack = sender.nextAck();
    for (const byte of frameOf(baseMessage())) {
      sender.write(Buffer.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(readAck(await ack)).toEqual(expect.objectContaining({ code: 'AA', controlId: 'BASE-0001' }));
  });

  it('answers several messages of one write, in order', async () => {
    const bridge = await start();
    const sender = await client(bridge);
    const ids = ['ORD-1', 'ORD-2', 'ORD-3', 'ORD-4'];
    const acks = ids.map(() => sender.nextAck());
    sender.write(Buffer.concat(ids.map((id) => frameOf(numbered(id)))));
    const answers = (await Promise.all(acks)).map(readAck);
    expect(answers.map((ack) => [ack.code, ack.controlId])).toEqual(ids.map((id) => ['AA', id]));
  });

  it('serves many senders at once', async () => {
    const sink = createMemoryLabResultsSink();
    const bridge = await start({ sink });
    const senders = await Promise.all(Array.from({ length: 40 }, () => client(bridge)));
    const answers = await Promise.all(
      senders.flatMap((sender, index) =>
        [0, 1, 2].map(async (round) => readAck(await sender.send(numbered(`C${index}-M${round}`)))),
      ),
    );
    expect(answers.every((ack) => ack.code === 'AA')).toBe(true);
    expect(sink.stored).toHaveLength(120);
    expect(bridge.connections).toBe(40);
  });

  it('skips bytes outside frames and answers the frames among them', async () => {
    const bridge = await start();
    const sender = await client(bridge);
    const acks = [sender.nextAck(), sender.nextAck()];
    sender.write(
      Buffer.concat([
        Buffer.from('GET / HTTP/1.1\r\n\r\n'),
        frameOf(numbered('G-1')),
        Buffer.from([0, 255, 13, 10, 28]),
        frameOf(numbered('G-2')),
        Buffer.from('trailing noise'),
      ]),
    );
    expect((await Promise.all(acks)).map((ack) => readAck(ack).code)).toEqual(['AA', 'AA']);
    expect(readAck(await sender.send(numbered('G-3'))).code).toBe('AA');
  });

  it('still answers a sender that shut its side of the connection after sending', async () => {
    const bridge = await start();
    const sender = await client(bridge);
    const ack = sender.nextAck();
    sender.socket.end(frameOf(baseMessage()));
    expect(readAck(await ack).code).toBe('AA');
    await sender.closed;
  });

  it('lets a half frame wait for the rest', async () => {
    const bridge = await start();
    const sender = await client(bridge);
    const frame = frameOf(baseMessage());
    const ack = sender.nextAck();
    sender.write(frame.subarray(0, 40));
    await sleep(200);
    sender.write(frame.subarray(40));
    expect(readAck(await ack).code).toBe('AA');
  });

  it('answers a frame over the limit with AR naming its MSH-10, then goes on', async () => {
    const sink = createMemoryLabResultsSink();
    const bridge = await start({ sink, maxFrameBytes: 2048 });
    const sender = await client(bridge);
    const big = numbered('BIG-1', [...baseLines(), `NTE|1||${'x'.repeat(5000)}`]);
    const ack = readAck(await sender.send(big));
    expect(ack).toEqual(expect.objectContaining({ code: 'AR', controlId: 'BIG-1' }));
    expect(ack.errors[0]?.code).toBe('207');
    expect(readAck(await sender.send(numbered('AFTER-BIG'))).code).toBe('AA');
    expect(sink.stored.map((call) => call.source.messageId)).toEqual(['AFTER-BIG']);
  });

  it('closes a sender idle for HL7_IDLE_TIMEOUT_MS', async () => {
    const bridge = await start({ idleTimeoutMs: 150 });
    const sender = await client(bridge);
    expect(readAck(await sender.send(baseMessage())).code).toBe('AA');
    await sender.closed;
    await eventually(() => bridge.connections === 0);
  });

  it('closes an idle sender that left half a frame', async () => {
    const bridge = await start({ idleTimeoutMs: 150 });
    const sender = await client(bridge);
    sender.write(frameOf(baseMessage()).subarray(0, 30));
    await sender.closed;
    await eventually(() => bridge.connections === 0);
  });

  it('does not count waiting for the sink as idle', async () => {
    const manual = manualSink();
    const bridge = await start({ sink: manual.sink, idleTimeoutMs: 100 });
    const sender = await client(bridge);
    const ack = sender.send(baseMessage());
    const [call] = await manual.calls(1);
    await sleep(400);
    call?.resolve({ duplicate: false, stored: 2 });
    expect(readAck(await ack).code).toBe('AA');
  });

  it('answers others while one sender is slow, silent or blocked on the sink', async () => {
    const blocked = manualSink();
    const memory = createMemoryLabResultsSink();
    const sink: LabResultsSink = {
      record: (input) =>
        input.source.messageId === 'STUCK' ? blocked.sink.record(input) : memory.record(input),
    };
    const bridge = await start({ sink });
    const stuck = await client(bridge);
    const stuckAck = stuck.send(numbered('STUCK'));
    await blocked.calls(1);
    const trickle = await client(bridge);
    trickle.write(frameOf(baseMessage()).subarray(0, 25));
    const quick = await client(bridge);
    for (let round = 0; round < 5; round++)
      expect(readAck(await quick.send(numbered(`QUICK-${round}`))).code).toBe('AA');
    blocked.pending[0]?.resolve({ duplicate: false, stored: 2 });
    expect(readAck(await stuckAck).code).toBe('AA');
  });

  it('acknowledges only after the sink resolved', async () => {
    const manual = manualSink();
    const bridge = await start({ sink: manual.sink });
    const sender = await client(bridge);
    let answered = false;
    const ack = sender.send(baseMessage()).then((text) => {
      answered = true;
      return text;
    });
    const [call] = await manual.calls(1);
    await sleep(200);
    expect(answered).toBe(false);
    call?.resolve({ duplicate: false, stored: 2 });
    expect(readAck(await ack).code).toBe('AA');
  });

  it('hands the next message of a connection to the sink only after the previous one', async () => {
    const manual = manualSink();
    const bridge = await start({ sink: manual.sink });
    const sender = await client(bridge);
    const acks = [sender.nextAck(), sender.nextAck()];
    sender.write(Buffer.concat([frameOf(numbered('FIRST')), frameOf(numbered('SECOND'))]));
    const [first] = await manual.calls(1);
    await sleep(100);
    expect(manual.pending).toHaveLength(1);
    first?.resolve({ duplicate: false, stored: 2 });
    const [, second] = await manual.calls(2);
    expect(second?.input.source.messageId).toBe('SECOND');
    second?.resolve({ duplicate: false, stored: 2 });
    expect((await Promise.all(acks)).map((text) => readAck(text).controlId)).toEqual(['FIRST', 'SECOND']);
  });

  it.each([
    ['unavailable', 'AR', '207', unavailableFailure('down', { code: 'UNAVAILABLE' })],
    [
      'a content error',
      'AE',
      '204',
      contentFailure('unknown patient', { code: 'BAD_USER_INPUT', rule: 'UNKNOWN_PATIENT' }),
    ],
  ])('answers a sink that is %s with %s %s', async (_name, code, errorCode, error) => {
    const bridge = await start({
      sink: {
        record: async () => {
          throw error;
        },
      },
    });
    const ack = readAck(await (await client(bridge)).send(baseMessage()));
    expect([ack.code, ack.errors[0]?.code]).toEqual([code, errorCode]);
  });

  it('answers AA to a message the sink calls a duplicate', async () => {
    const bridge = await start({ sink: { record: async () => ({ duplicate: true, stored: 0 }) } });
    const ack = readAck(await (await client(bridge)).send(baseMessage()));
    expect([ack.code, ack.text]).toEqual(['AA', 'Already recorded; nothing new stored']);
  });

  it('answers the messages in flight when closed, then closes the connections', async () => {
    const manual = manualSink();
    const bridge = await startHl7Bridge({ sink: manual.sink, mllpPort: 0, httpPort: 0 });
    const sender = await connectMllp({ port: bridge.mllpPort });
    const ack = sender.send(baseMessage());
    const [call] = await manual.calls(1);
    const closed = bridge.close(10_000);
    call?.resolve({ duplicate: false, stored: 2 });
    expect(readAck(await ack).code).toBe('AA');
    await closed;
    await sender.closed;
  });

  it('refuses connections beyond HL7_MAX_CONNECTIONS', async () => {
    const bridge = await start({ maxConnections: 2 });
    const [first, second] = [await client(bridge), await client(bridge)];
    await eventually(() => bridge.connections === 2);
    const third = await client(bridge);
    await third.closed;
    expect(readAck(await first.send(numbered('M-1'))).code).toBe('AA');
    expect(readAck(await second.send(numbered('M-2'))).code).toBe('AA');
  });

  it('fails at once when the port is taken (no retrying forever)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expect(
        startHl7Bridge({ sink: createMemoryLabResultsSink(), mllpPort: port, httpPort: false }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('logs ids, types, codes and counts, never patient data', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ service: 'hl7-bridge-test', level: 'debug', destination });
    const bridge = await start({ logger, sink: createMemoryLabResultsSink({ knownMrns: ['MRN-T-0100'] }) });
    const sender = await client(bridge);
    await sender.send(baseMessage());
    await sender.send(
      message(...withField(withField(baseLines(), 1, 3, 'MRN-SECRET-1^^^HSG^MR'), 0, 10, 'LOG-2')),
    );
    await sender.send(message(...withField(baseLines(), 3, 5, 'not-a-number')));
    sender.write(Buffer.from('PID|1||MRN-IN-GARBAGE||Secret^Name'));
    await sender.send(numbered('LOG-4'));
    await eventually(() => lines.some((line) => line.includes('LOG-4')));
    // The clock, the timing and the peer address are the log's own numbers: a timestamp like
    // "04.895Z" must not read as the result value 95.
    const text = lines
      .map((line) => {
        const { time: _time, ms: _ms, remote: _remote, ...fields } = JSON.parse(line);
        return JSON.stringify(fields);
      })
      .join('\n');
    for (const secret of [
      'MRN-T-0100',
      'MRN-SECRET-1',
      'MRN-IN-GARBAGE',
      'Base',
      'Bea',
      'Secret',
      'Glucose',
      'Yellow',
    ])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/(?<![\d.])95(?![\d])/);
    const acknowledged = lines.map((line) => JSON.parse(line)).find((line) => line.messageId === 'BASE-0001');
    expect(acknowledged).toEqual(
      expect.objectContaining({
        ack: 'AA',
        type: 'ORU^R01',
        version: '2.5.1',
        results: 2,
        stored: 2,
        transport: 'mllp',
      }),
    );
  });
});

describe('POST /hl7', () => {
  const post = (bridge: Hl7Bridge, body: string | Buffer, type = 'x-application/hl7-v2+er7') =>
    fetch(`http://127.0.0.1:${bridge.httpPort}/hl7`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });

  it('answers the same ACK as MLLP', async () => {
    const sink = createMemoryLabResultsSink();
    const bridge = await start({ sink });
    const response = await post(bridge, baseMessage());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('x-application/hl7-v2+er7; charset=utf-8');
    const ack = readAck(await response.text());
    expect([ack.code, ack.controlId]).toEqual(['AA', 'BASE-0001']);
    expect(sink.stored).toHaveLength(1);
    const again = readAck(await (await client(bridge)).send(baseMessage()));
    expect([again.code, again.text]).toEqual(['AA', 'Already recorded; nothing new stored']);
  });

  it('takes text/plain with LF line endings and answers AE and AR in a 200 too', async () => {
    const bridge = await start();
    const broken = message(...withField(baseLines(), 3, 5, 'x')).replaceAll('\r', '\n');
    const response = await post(bridge, broken, 'text/plain');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(readAck(await response.text()).code).toBe('AE');
    expect(readAck(await (await post(bridge, '{"not":"hl7"}', 'application/json')).text()).code).toBe('AR');
  });

  it('answers 413 with an AR for a body over the limit', async () => {
    const bridge = await start({ maxFrameBytes: 4096 });
    const response = await post(bridge, numbered('HUGE-1', [...baseLines(), `NTE|1||${'y'.repeat(10_000)}`]));
    expect(response.status).toBe(413);
    expect(readAck(await response.text()).code).toBe('AR');
  });

  it('serves /health, and /ready until it closes', async () => {
    const bridge = await start({ drainDelayMs: 300 });
    const url = (path: string) => `http://127.0.0.1:${bridge.httpPort}${path}`;
    expect((await fetch(url('/health'))).status).toBe(200);
    expect((await fetch(url('/ready'))).status).toBe(200);
    const closing = bridge.close(1000);
    expect((await fetch(url('/ready'))).status).toBe(503);
    await closing;
  });
});
