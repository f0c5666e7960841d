import { type Problem, problem } from './problems.ts';

/**
 * A small ER7 ("pipe and hat") reader for the hot path: segments split once, fields split once per
 * segment, components and repetitions only where they are read. Values stay escaped until read as text
 * (escapes.ts), so splitting never trips over an escaped delimiter. Why not @medplum/core's Hl7Message:
 * ADR 0023.
 */

export interface Delimiters {
  /** MSH-1. */
  field: string;
  /** MSH-2, as sent (e.g. `^~\&`). */
  encoding: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** v2.7's fifth encoding character; empty when absent. */
  truncation: string;
}

export const defaultDelimiters: Delimiters = {
  field: '|',
  encoding: '^~\\&',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
  truncation: '',
};

export interface Segment {
  /** The segment ID: MSH, PID, OBR, OBX, … */
  name: string;
  /**
   * `fields[n]` is field n as sent (still escaped); `fields[0]` is the name. For MSH, `fields[1]` is the
   * field separator and `fields[2]` the encoding characters, so MSH-n is `fields[n]` there too.
   */
  fields: string[];
  /** 1-based among the message's segments of this ID (ERR-2's segment sequence). */
  sequence: number;
}

export interface Er7Message {
  delimiters: Delimiters;
  segments: Segment[];
}

export type ParseOutcome =
  | { ok: true; message: Er7Message; problems: Problem[] }
  | { ok: false; problem: Problem };

/** A segment ID: an upper-case letter, then two upper-case letters or digits. */
function isSegmentId(line: string): boolean {
  if (line.length < 3) return false;
  const first = line.charCodeAt(0);
  if (first < 0x41 || first > 0x5a) return false;
  for (let index = 1; index < 3; index++) {
    const code = line.charCodeAt(index);
    if (!((code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39))) return false;
  }
  return true;
}
const unusable = /[A-Za-z0-9\s]/;

function isBlank(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x09) return false;
  }
  return true;
}

/** MSH-1 and MSH-2 read from the header's first characters, or undefined when they are unusable. */
function delimitersAt(text: string, start: number): Delimiters | undefined {
  const field = text.charAt(start + 3);
  if (field === '' || unusable.test(field)) return undefined;
  let end = start + 4;
  while (end < text.length && text[end] !== field && text[end] !== '\r' && text[end] !== '\n') end++;
  const encoding = text.slice(start + 4, end);
  if (encoding.length < 2 || encoding.length > 5) return undefined;
  const all = field + encoding;
  for (let index = 0; index < all.length; index++) {
    const char = all.charAt(index);
    if (unusable.test(char) || all.indexOf(char) !== index) return undefined;
  }
  return {
    field,
    encoding,
    component: encoding.charAt(0),
    repetition: encoding.charAt(1),
    escape: encoding.charAt(2),
    subcomponent: encoding.charAt(3),
    truncation: encoding.charAt(4),
  };
}

/**
 * Splits a message into segments and fields. Segments may end in CR, LF or CR LF; blank lines are skipped;
 * a leading byte order mark and leading blank lines are ignored. Fails only when there is no usable MSH
 * (then the caller answers with defaults); a segment without a valid ID is reported and left out.
 */
export function parseEr7(input: string): ParseOutcome {
  let start = input.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start < input.length && /[\r\n \t]/.test(input.charAt(start))) start++;
  if (!input.startsWith('MSH', start))
    return { ok: false, problem: problem('100', 'The message does not begin with an MSH segment') };
  const delimiters = delimitersAt(input, start);
  if (!delimiters)
    return {
      ok: false,
      problem: problem('102', 'MSH-1 and MSH-2 do not give usable, distinct delimiters', {
        segment: 'MSH',
        sequence: 1,
        field: 2,
      }),
    };
  const text = start === 0 ? input : input.slice(start);
  const lines = text.includes('\n') ? text.split(/\r\n|\r|\n/) : text.split('\r');
  const segments: Segment[] = [];
  const problems: Problem[] = [];
  const counts = new Map<string, number>();
  // The segments every ORU has, counted without a map lookup (this runs for every segment of every message).
  let obx = 0;
  let nte = 0;
  let obr = 0;
  const separator = delimiters.field.charCodeAt(0);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line === '' || ((line.charCodeAt(0) === 0x20 || line.charCodeAt(0) === 0x09) && isBlank(line)))
      continue;
    if (!isSegmentId(line) || (line.length > 3 && line.charCodeAt(3) !== separator)) {
      problems.push(problem('100', `Line ${index + 1} is not a segment (no valid segment ID)`));
      continue;
    }
    const name = line.slice(0, 3);
    let sequence: number;
    if (name === 'OBX') sequence = ++obx;
    else if (name === 'NTE') sequence = ++nte;
    else if (name === 'OBR') sequence = ++obr;
    else {
      sequence = (counts.get(name) ?? 0) + 1;
      if (name === 'MSH' && segments.length > 0) {
        problems.push(
          problem('100', 'A second MSH segment: send one message per frame (batches are not supported)', {
            segment: 'MSH',
            sequence,
          }),
        );
        continue;
      }
      counts.set(name, sequence);
    }
    const fields = line.split(delimiters.field);
    if (sequence === 1 && name === 'MSH') fields.splice(1, 0, delimiters.field);
    segments.push({ name, fields, sequence });
  }
  return { ok: true, message: { delimiters, segments }, problems };
}

/** Field n of a segment as sent ('' when absent). */
export const fieldOf = (segment: Segment, n: number): string => segment.fields[n] ?? '';

/** The n-th (1-based) part of raw between separators: a component or subcomponent ('' when absent). */
export function partOf(raw: string, n: number, separator: string): string {
  if (raw === '') return '';
  if (separator === '') return n === 1 ? raw : '';
  let start = 0;
  for (let index = 1; index < n; index++) {
    const next = raw.indexOf(separator, start);
    if (next < 0) return '';
    start = next + 1;
  }
  const end = raw.indexOf(separator, start);
  return end < 0 ? raw.slice(start) : raw.slice(start, end);
}

/** The repetitions of a field ([] when empty). */
export function repetitionsOf(raw: string, delimiters: Delimiters): string[] {
  if (raw === '') return [];
  return delimiters.repetition === '' || raw.indexOf(delimiters.repetition) < 0
    ? [raw]
    : raw.split(delimiters.repetition);
}

/** The first repetition of a field (all of it when it does not repeat). */
export function firstRepetitionOf(raw: string, delimiters: Delimiters): string {
  if (raw === '' || delimiters.repetition === '') return raw;
  const end = raw.indexOf(delimiters.repetition);
  return end < 0 ? raw : raw.slice(0, end);
}

/** The components of a field or repetition. */
export function componentsOf(raw: string, delimiters: Delimiters): string[] {
  return delimiters.component === '' || raw.indexOf(delimiters.component) < 0
    ? [raw]
    : raw.split(delimiters.component);
}

/** HL7's explicit null (`""`): the sender says "no value" (and "delete the old one"). */
export const isHl7Null = (raw: string): boolean => raw === '""';
