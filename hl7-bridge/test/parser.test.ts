import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Hl7Message } from '@medplum/core';
import { parseEr7 } from '../src/bridge.ts';
import { unescapeText } from '../src/escapes.ts';
import { baseMessage } from './helpers.ts';
import { medplumFields } from './medplum-baseline.ts';

const corpus = fileURLToPath(new URL('./corpus/', import.meta.url));
const messages = readdirSync(corpus)
  .filter((file) => file.endsWith('.hl7'))
  .map((file) => [file, readFileSync(`${corpus}${file}`, 'utf8').trimEnd().split('\n').join('\r')] as const);

describe('the ER7 reader', () => {
  it.each(messages)('splits %s into the segments and fields @medplum/core reads', (_file, text) => {
    const parsed = parseEr7(text);
    if (!parsed.ok) throw new Error('not parsed');
    expect(parsed.problems).toEqual([]);
    expect(parsed.message.segments.map((segment) => segment.fields)).toEqual(medplumFields(text));
  });

  it('numbers segments per ID for ERR-2', () => {
    const parsed = parseEr7(baseMessage());
    if (!parsed.ok) throw new Error('not parsed');
    expect(parsed.message.segments.map((segment) => `${segment.name}${segment.sequence}`)).toEqual([
      'MSH1',
      'PID1',
      'OBR1',
      'OBX1',
      'OBX2',
    ]);
  });

  it('takes leading blank lines and a byte order mark', () => {
    const parsed = parseEr7(`\uFEFF\r\n\r\n${baseMessage()}\r\n\r\n`);
    expect(parsed.ok && parsed.message.segments.length).toBe(5);
  });
});

/** Why the bridge reads ER7 itself (ADR 0023): what @medplum/core 5.0.10's Hl7Message does here. */
describe('where @medplum/core 5.0.10 falls short for the bridge', () => {
  it('refuses a message with a byte order mark', () => {
    expect(() => Hl7Message.parse(`\uFEFF${baseMessage()}`)).toThrow('Invalid HL7 message');
  });

  it('leaves escape sequences in the values', () => {
    const text = baseMessage().replace('Yellow', 'Yellow \\T\\ pale');
    expect(Hl7Message.parse(text).getAllSegments('OBX')[1]?.getField(5)?.toString()).toBe(
      'Yellow \\T\\ pale',
    );
    expect(
      unescapeText('Yellow \\T\\ pale', {
        field: '|',
        encoding: '^~\\&',
        component: '^',
        repetition: '~',
        escape: '\\',
        subcomponent: '&',
        truncation: '',
      }),
    ).toBe('Yellow & pale');
  });

  it('throws on a repetition that is not there', () => {
    const obx = Hl7Message.parse(baseMessage()).getAllSegments('OBX')[0];
    expect(() => obx?.getComponent(8, 1, undefined, 1)).toThrow();
  });
});
