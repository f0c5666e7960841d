import { AppError, silentLogger } from '@hsg/kit';
import { describe, expect, it } from '@jest/globals';
import {
  contentFailure,
  createMemoryLabResultsSink,
  createMessageHandler,
  type LabResultsSink,
  type RecordLabResultsInput,
  unavailableFailure,
} from '../src/bridge.ts';
import { baseLines, baseMessage, message, readAck, withField } from './helpers.ts';

const handlerWith = (sink: LabResultsSink, options: { processingIds?: string[] } = {}) =>
  createMessageHandler({ sink, logger: silentLogger(), ...options });

const handle = async (sink: LabResultsSink, text: string | Buffer) =>
  readAck((await handlerWith(sink).handle(Buffer.isBuffer(text) ? text : Buffer.from(text), 'mllp')).text);

const failing = (error: unknown): LabResultsSink => ({
  record: async () => {
    throw error;
  },
});

/** A message with `count` NM results. */
function manyResults(count: number, id = 'MANY-0001') {
  const [msh, pid, obr] = baseLines();
  const results = Array.from(
    { length: count },
    (_, index) => `OBX|${index + 1}|NM|2345-7^Glucose^LN||${80 + (index % 20)}|mg/dL^^UCUM|70-99|N|||F`,
  );
  return message(...withField([msh ?? ''], 0, 10, id), pid ?? '', obr ?? '', ...results);
}

describe('what the sink says, in the ACK', () => {
  it('answers AA once the results are stored', async () => {
    const sink = createMemoryLabResultsSink();
    const ack = await handle(sink, baseMessage());
    expect(ack.code).toBe('AA');
    expect(ack.controlId).toBe('BASE-0001');
    expect(ack.text).toBe('2 results recorded');
    expect(sink.stored).toHaveLength(1);
  });

  it('answers AA and stores nothing new for a message sent again', async () => {
    const sink = createMemoryLabResultsSink();
    await handle(sink, baseMessage());
    const again = await handle(sink, baseMessage());
    expect(again.code).toBe('AA');
    expect(again.text).toBe('Already recorded; nothing new stored');
    expect(sink.stored).toHaveLength(1);
    expect(sink.calls).toHaveLength(2);
  });

  it('answers AE 204 at PID-3 for a patient the graph does not know', async () => {
    const ack = await handle(createMemoryLabResultsSink({ knownMrns: ['MRN-T-9999'] }), baseMessage());
    expect(ack.code).toBe('AE');
    expect(ack.errors).toEqual([
      expect.objectContaining({ code: '204', location: 'PID^1^3', rule: 'UNKNOWN_PATIENT' }),
    ]);
  });

  it('answers AE 205 at MSH-10 when the ID was used for another message', async () => {
    const sink = createMemoryLabResultsSink();
    await handle(sink, baseMessage());
    const changed = message(...withField(baseLines(), 3, 5, '97'));
    const ack = await handle(sink, changed);
    expect(ack.code).toBe('AE');
    expect(ack.errors).toEqual([
      expect.objectContaining({ code: '205', location: 'MSH^1^10', rule: 'MESSAGE_ID_REUSED' }),
    ]);
  });

  it('points a value the graph refused at its OBX', async () => {
    const sink = failing(
      contentFailure('input.results[1].valueString must not contain control characters', {
        code: 'BAD_USER_INPUT',
        field: 'input.results[1].valueString',
      }),
    );
    const ack = await handle(sink, baseMessage());
    expect(ack.code).toBe('AE');
    expect(ack.errors).toEqual([
      expect.objectContaining({ code: '102', location: 'OBX^2', rule: 'BAD_USER_INPUT' }),
    ]);
    expect(ack.errors[0]?.message).toContain('control characters');
  });

  it('answers AR 207 when the graph is unavailable, so the sender sends it again', async () => {
    const ack = await handle(failing(unavailableFailure('down', { code: 'UNAVAILABLE' })), baseMessage());
    expect(ack.code).toBe('AR');
    expect(ack.errors).toEqual([expect.objectContaining({ code: '207', location: '', rule: 'UNAVAILABLE' })]);
  });

  it('reads the kit’s AppError by its code', async () => {
    expect(
      (await handle(failing(new AppError('NOT_FOUND', 'no such patient')), baseMessage())).errors[0]?.code,
    ).toBe('204');
    expect((await handle(failing(new AppError('UNAVAILABLE', 'lagging')), baseMessage())).code).toBe('AR');
    expect((await handle(failing(new AppError('FORBIDDEN', 'not allowed')), baseMessage())).code).toBe('AR');
  });

  it('treats any other failure of the sink (a bug, a lost connection) as unavailable', async () => {
    const ack = await handle(failing(new TypeError('boom')), baseMessage());
    expect(ack.code).toBe('AR');
    expect(ack.errors[0]?.code).toBe('207');
  });
});

describe('messages larger than one call', () => {
  it('splits 250 results into calls of 100 named MSH-10, MSH-10#2, MSH-10#3', async () => {
    const sink = createMemoryLabResultsSink();
    const ack = await handle(sink, manyResults(250));
    expect(ack.code).toBe('AA');
    expect(ack.text).toBe('250 results recorded');
    expect(sink.calls.map((call) => [call.source.messageId, call.results.length])).toEqual([
      ['MANY-0001', 100],
      ['MANY-0001#2', 100],
      ['MANY-0001#3', 50],
    ]);
    expect(new Set(sink.calls.map((call) => call.source.placerOrder))).toEqual(new Set(['PLC-0100']));
  });

  it('recognises a resend after the graph failed half way: the stored part is a duplicate', async () => {
    const memory = createMemoryLabResultsSink();
    let failNext = true;
    const flaky: LabResultsSink = {
      async record(input: RecordLabResultsInput) {
        if (input.source.messageId.endsWith('#2') && failNext) {
          failNext = false;
          throw unavailableFailure('down');
        }
        return memory.record(input);
      },
    };
    expect((await handle(flaky, manyResults(150))).code).toBe('AR');
    const again = await handle(flaky, manyResults(150));
    expect(again.code).toBe('AA');
    expect(again.text).toBe('50 results recorded (1 of 2 parts were recorded before)');
    expect(memory.stored.map((call) => call.source.messageId)).toEqual(['MANY-0001', 'MANY-0001#2']);
  });

  it('keeps one patient per call when a message carries two patients', async () => {
    const sink = createMemoryLabResultsSink();
    const [msh, pid, obr, obx] = baseLines();
    const second = [
      'PID|2||MRN-T-0200^^^HSG^MR||Other^Olga||19920202|F',
      'OBR|1|PLC-0200||2345-7^Glucose^LN|||20260201070000+0100',
      'OBX|1|NM|2345-7^Glucose^LN||101|mg/dL^^UCUM|70-99|H|||F',
    ];
    const ack = await handle(sink, message(msh ?? '', pid ?? '', obr ?? '', obx ?? '', ...second));
    expect(ack.code).toBe('AA');
    expect(
      sink.calls.map((call) => [call.patientMrn, call.source.messageId, call.source.placerOrder]),
    ).toEqual([
      ['MRN-T-0100', 'BASE-0001', 'PLC-0100'],
      ['MRN-T-0200', 'BASE-0001#2', 'PLC-0200'],
    ]);
  });
});

describe('header choices', () => {
  it('takes D and T when configured to (HL7_PROCESSING_IDS)', async () => {
    const handler = handlerWith(createMemoryLabResultsSink(), { processingIds: ['P', 'T'] });
    const training = message(...withField(baseLines(), 0, 11, 'T'));
    const ack = readAck((await handler.handle(Buffer.from(training), 'http')).text);
    expect(ack.code).toBe('AA');
    expect(ack.msh[11]).toBe('T');
  });

  it('reads the processing ID and version from their first component', async () => {
    const text = message(...withField(withField(baseLines(), 0, 11, 'P^T'), 0, 12, '2.5.1^USA'));
    expect((await handle(createMemoryLabResultsSink(), text)).code).toBe('AA');
  });

  it('reads ISO 8859-1 bytes when MSH-18 says 8859/1 and answers in kind', async () => {
    const sink = createMemoryLabResultsSink();
    const lines = withField(baseLines(), 0, 18, '8859/1');
    const text = message(...withField(lines, 4, 5, 'Gelb, trüb'));
    const answer = await handlerWith(sink).handle(Buffer.from(text, 'latin1'), 'mllp');
    expect(sink.calls[0]?.results[1]?.valueString).toBe('Gelb, trüb');
    expect(answer.charset).toBe('latin1');
    expect(readAck(answer.text).msh[18]).toBe('8859/1');
  });

  it('reads UTF-8 by default', async () => {
    const sink = createMemoryLabResultsSink();
    await handle(sink, Buffer.from(message(...withField(baseLines(), 4, 5, 'Gelb, trüb'))));
    expect(sink.calls[0]?.results[1]?.valueString).toBe('Gelb, trüb');
  });

  it('names the error in ERR-1 too for v2.3 and v2.4, in ERR-2/ERR-3 only from v2.5', async () => {
    const broken = (version: string) =>
      message(...withField(withField(baseLines(), 0, 12, version), 3, 5, 'x'));
    const legacy = await handle(createMemoryLabResultsSink(), broken('2.3'));
    expect(legacy.errors[0]).toEqual(
      expect.objectContaining({
        eld: 'OBX^1^5^102&Data type error&HL70357',
        location: 'OBX^1^5',
        code: '102',
      }),
    );
    const current = await handle(createMemoryLabResultsSink(), broken('2.5.1'));
    expect(current.errors[0]).toEqual(expect.objectContaining({ eld: '', location: 'OBX^1^5', code: '102' }));
  });

  it('mirrors a two-component MSH-9 (ACK^R01) and escapes its texts in the message’s delimiters', async () => {
    const text = message(...withField(baseLines(), 0, 9, 'ORU^R01'));
    const ack = await handle(createMemoryLabResultsSink(), text);
    expect(ack.msh[9]).toBe('ACK^R01');
  });
});
