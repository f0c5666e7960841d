import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@hsg/kit';
import { describe, expect, it } from '@jest/globals';
import {
  createMemoryLabResultsSink,
  createMessageHandler,
  graphLimits,
  type RecordLabResultsInput,
} from '../src/bridge.ts';
import { baseLines, message, readAck, withField } from './helpers.ts';

/**
 * The mapping corpus: synthetic ORU^R01 messages (test/corpus/*.hl7, written with LF line endings) and
 * the recordLabResults calls each must give (the .json beside it, written out in full). Every message is
 * sent with CR, LF and CR LF segment endings and with a UTF-8 byte order mark: the calls must not change.
 */

interface Expected {
  settings?: { defaultTimeZone?: string };
  ack: string;
  ackText: string;
  calls: RecordLabResultsInput[];
}

const corpus = fileURLToPath(new URL('./corpus/', import.meta.url));
const cases = readdirSync(corpus)
  .filter((file) => file.endsWith('.hl7'))
  .sort()
  .map((file) => ({
    name: file.replace(/\.hl7$/, ''),
    text: readFileSync(`${corpus}${file}`, 'utf8'),
    expected: JSON.parse(readFileSync(`${corpus}${file.replace(/\.hl7$/, '.json')}`, 'utf8')) as Expected,
  }));

const lines = (text: string) => text.split('\n').filter((line) => line !== '');
const variants: Array<[string, (text: string) => Buffer]> = [
  ['CR', (text) => Buffer.from(lines(text).join('\r'))],
  ['LF', (text) => Buffer.from(text)],
  ['CR LF', (text) => Buffer.from(`${lines(text).join('\r\n')}\r\n`)],
  ['a byte order mark and CR', (text) => Buffer.from(`\uFEFF${lines(text).join('\r')}\r`)],
];

async function handle(bytes: Buffer, settings: Expected['settings'] = {}) {
  const sink = createMemoryLabResultsSink();
  const handler = createMessageHandler({
    sink,
    logger: silentLogger(),
    ...settings,
    clock: () => new Date('2026-02-01T10:00:00Z'),
    nextControlId: () => 'ACK-0001',
  });
  const answer = await handler.handle(bytes, 'mllp');
  return { answer, ack: readAck(answer.text), calls: sink.calls };
}

describe('the mapping corpus', () => {
  it('has messages for every value type, version and structure it claims', () => {
    expect(cases.map((item) => item.name)).toEqual(
      expect.arrayContaining([
        'coded-v2.3',
        'text-v2.4',
        'custom-delimiters-v2.5',
        'nm-v2.5.1',
        'structured-numeric-v2.6',
        'datetimes-v2.5.1',
        'multiple-orders-v2.5.1',
        'empty-values-v2.5.1',
      ]),
    );
  });

  describe.each(cases)('$name', ({ text, expected }) => {
    const header = lines(text)[0] ?? '';
    const separator = header.charAt(3);
    const msh = header.split(separator);

    it.each(variants)('maps it the same with %s', async (_name, encode) => {
      const { ack, calls } = await handle(encode(text), expected.settings);
      expect(calls).toEqual(expected.calls);
      expect(ack.code).toBe(expected.ack);
      expect(ack.text).toBe(expected.ackText);
    });

    it('answers with the swapped MSH in its own delimiters and version, MSA-2 = MSH-10', async () => {
      const { ack } = await handle(Buffer.from(text), expected.settings);
      expect(ack.delimiters).toBe(`${separator}${msh[1]}`);
      expect(ack.msh.slice(3, 7)).toEqual([msh[4], msh[5], msh[2], msh[3]]);
      expect(ack.msh[12]).toBe(msh[11]);
      expect(ack.msh[11]).toBe(msh[10]);
      expect(ack.controlId).toBe(msh[9]);
      expect(ack.msh[9]?.startsWith('ACK')).toBe(true);
    });
  });
});

/** A malformed variant of the base message, the ACK code and the ERR (code and ERL) each gives. */
const base = baseLines();
const malformed: Array<[string, string, string, Array<[string, string]>]> = [
  ['bytes that are not HL7 at all', 'hello, this is not HL7', 'AR', [['100', '']]],
  ['an empty message', '', 'AR', [['100', '']]],
  [
    'a batch (FHS/BHS) instead of a message',
    message('FHS|^~\\&|LIS', 'BHS|^~\\&|LIS', ...base),
    'AR',
    [['100', '']],
  ],
  [
    'delimiters that repeat',
    message(`MSH|^^\\&${base[0]?.slice(8)}`, ...base.slice(1)),
    'AR',
    [['102', 'MSH^1^2']],
  ],
  ['an ADT^A01', message(...withField(base, 0, 9, 'ADT^A01^ADT_A01')), 'AR', [['200', 'MSH^1^9']]],
  ['an ORM^O01', message(...withField(base, 0, 9, 'ORM^O01')), 'AR', [['200', 'MSH^1^9']]],
  ['an OUL^R22', message(...withField(base, 0, 9, 'OUL^R22^OUL_R22')), 'AR', [['200', 'MSH^1^9']]],
  ['an ORU^R30', message(...withField(base, 0, 9, 'ORU^R30^ORU_R30')), 'AR', [['201', 'MSH^1^9']]],
  ['version 2.7', message(...withField(base, 0, 12, '2.7')), 'AR', [['203', 'MSH^1^12']]],
  ['version 2.2', message(...withField(base, 0, 12, '2.2')), 'AR', [['203', 'MSH^1^12']]],
  ['no version', message(...withField(base, 0, 12, '')), 'AR', [['203', 'MSH^1^12']]],
  ['processing ID T (training)', message(...withField(base, 0, 11, 'T')), 'AR', [['202', 'MSH^1^11']]],
  ['processing ID D (debugging)', message(...withField(base, 0, 11, 'D')), 'AR', [['202', 'MSH^1^11']]],
  [
    'another type, version and processing ID at once',
    message(...withField(withField(withField(base, 0, 9, 'ADT^A08'), 0, 12, '2.8'), 0, 11, 'T')),
    'AR',
    [
      ['200', 'MSH^1^9'],
      ['203', 'MSH^1^12'],
      ['202', 'MSH^1^11'],
    ],
  ],
  ['no MSH-10', message(...withField(base, 0, 10, '')), 'AE', [['101', 'MSH^1^10']]],
  ['no MSH-4', message(...withField(base, 0, 4, '')), 'AE', [['101', 'MSH^1^4']]],
  ['no PID', message(base[0] ?? '', ...base.slice(2)), 'AE', [['100', 'PID^1']]],
  ['a PID without PID-3', message(...withField(base, 1, 3, '')), 'AE', [['101', 'PID^1^3']]],
  [
    'a damaged PID-3 (a type, no identifier)',
    message(...withField(base, 1, 3, '^^^HSG^MR')),
    'AE',
    [['101', 'PID^1^3']],
  ],
  [
    'a damaged PID (a segment ID only)',
    message(base[0] ?? '', 'PID', ...base.slice(2)),
    'AE',
    [['101', 'PID^1^3']],
  ],
  [
    'no OBR',
    message(...base.filter((line) => !line.startsWith('OBR'))),
    'AE',
    [
      ['100', 'OBX^1'],
      ['100', 'OBX^2'],
      ['100', 'OBR^1'],
    ],
  ],
  [
    'an OBX before the OBR',
    message(base[0] ?? '', base[1] ?? '', base[3] ?? '', base[2] ?? '', base[4] ?? ''),
    'AE',
    [['100', 'OBX^1']],
  ],
  ['an NM that is not a number', message(...withField(base, 3, 5, '9 5')), 'AE', [['102', 'OBX^1^5']]],
  ['an NM written with an exponent', message(...withField(base, 3, 5, '1e3')), 'AE', [['102', 'OBX^1^5']]],
  ['an NM that repeats', message(...withField(base, 3, 5, '95~96')), 'AE', [['102', 'OBX^1^5']]],
  [
    'an SN that is not one',
    message(...withField(withField(base, 3, 2, 'SN'), 3, 5, '~^abc')),
    'AE',
    [['102', 'OBX^1^5']],
  ],
  [
    'a DTM that does not exist',
    message(...withField(withField(base, 4, 2, 'DTM'), 4, 5, '20260230')),
    'AE',
    [['102', 'OBX^2^5']],
  ],
  ['an OBX-14 that is no date', message(...withField(base, 3, 14, 'yesterday')), 'AE', [['102', 'OBX^1^14']]],
  ['an OBR-7 at hour 25', message(...withField(base, 2, 7, '2026020125')), 'AE', [['102', 'OBR^1^7']]],
  ['no OBX-3', message(...withField(base, 3, 3, '')), 'AE', [['101', 'OBX^1^3']]],
  ['no OBX-11', message(...withField(base, 3, 11, '')), 'AE', [['101', 'OBX^1^11']]],
  ['a status outside table 0085', message(...withField(base, 3, 11, 'Z')), 'AE', [['103', 'OBX^1^11']]],
  ['an unsupported value type', message(...withField(base, 4, 2, 'ED')), 'AE', [['102', 'OBX^2^2']]],
  ['a value without a value type', message(...withField(base, 4, 2, '')), 'AE', [['101', 'OBX^2^2']]],
  [
    'a line that is not a segment',
    message(...base.slice(0, 3), 'this line is damaged', ...base.slice(3)),
    'AE',
    [['100', '']],
  ],
  ['a second MSH', message(...base, base[0] ?? ''), 'AE', [['100', 'MSH^2']]],
  [
    `a text over ${graphLimits.maxTextLength} characters`,
    message(...withField(base, 4, 5, 'x'.repeat(graphLimits.maxTextLength + 1))),
    'AE',
    [['102', 'OBX^2^5']],
  ],
  [
    `a reference range over ${graphLimits.maxTextLength} characters`,
    message(...withField(base, 3, 7, 'r'.repeat(graphLimits.maxTextLength + 1))),
    'AE',
    [['102', 'OBX^1^7']],
  ],
  [
    'several problems at once',
    message(...withField(withField(base, 3, 5, 'high'), 4, 11, '')),
    'AE',
    [
      ['102', 'OBX^1^5'],
      ['101', 'OBX^2^11'],
    ],
  ],
];

describe('malformed messages', () => {
  it.each(malformed)('%s → %s', async (_name, text, code, errors) => {
    const { ack, calls } = await handle(Buffer.from(text));
    expect(ack.code).toBe(code);
    expect(ack.errors.map((error) => [error.code, error.location])).toEqual(errors);
    expect(calls).toEqual([]);
    for (const error of ack.errors) expect(error.message).not.toBe('');
  });

  it('still answers a message without an MSH with an ACK in the default delimiters', async () => {
    const { ack } = await handle(Buffer.from('PID|1||MRN-T-0100'));
    expect(ack.delimiters).toBe('|^~\\&');
    expect(ack.controlId).toBe('');
    expect(ack.msh[12]).toBe('2.5.1');
  });

  it('names the refused message type in the ERR', async () => {
    const { ack } = await handle(Buffer.from(message(...withField(base, 0, 9, 'ADT^A01^ADT_A01'))));
    expect(ack.errors[0]?.message).toContain('ADT\\S\\A01');
    expect(ack.msh[9]).toBe('ACK^A01^ACK');
  });
});
