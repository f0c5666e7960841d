import { escapeText } from './escapes.ts';
import type { MessageHeader } from './oru.ts';
import { errorCodes, type Location, type Problem } from './problems.ts';

/** Original-mode acknowledgment codes (table 0008): accept, error, reject. */
export type AckCode = 'AA' | 'AE' | 'AR';

export interface AckSettings {
  /** MSH-3/MSH-4 of the ACK when the message left its MSH-5/MSH-6 empty. */
  applicationName: string;
  facilityName: string;
  clock: () => Date;
  /** MSH-10 of each ACK. */
  nextControlId: () => string;
}

/** MSA-3 is an ST of 80 characters in v2.3 to v2.6. */
const MAX_ACK_TEXT = 80;

/** Unique, short (≤ 20 characters, v2.3's ST) and increasing per process. */
export function createControlIds(prefix = 'A'): () => string {
  const base = Date.now().toString(36).toUpperCase();
  let counter = 0;
  return () => {
    counter = (counter + 1) % 36 ** 6;
    return `${prefix}${base}${counter.toString(36).toUpperCase().padStart(6, '0')}`;
  };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** A UTC DTM with its offset: 20260115073000+0000. */
export function hl7Now(date: Date): string {
  return (
    `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}+0000`
  );
}

/** v2.3 and v2.4 name the error in ERR-1 (ELD); v2.5 on in ERR-2 (ERL) and ERR-3. The ACK fills both there. */
function isLegacy(version: string): boolean {
  const match = /^2\.(\d+)/.exec(version);
  return match !== null && Number(match[1]) < 5;
}

function joinTrimmed(parts: string[], separator: string): string {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return parts.slice(0, end).join(separator);
}

function errSegment(item: Problem, header: MessageHeader): string {
  const d = header.delimiters;
  const c = d.component;
  const text = (value: string) => escapeText(value, d);
  const place = (location: Location | undefined) =>
    location
      ? [
          location.segment,
          String(location.sequence),
          location.field === undefined ? '' : String(location.field),
          location.repetition === undefined
            ? location.component === undefined
              ? ''
              : '1'
            : String(location.repetition),
          location.component === undefined ? '' : String(location.component),
        ]
      : [];
  const name = errorCodes[item.code];
  const code = joinTrimmed([item.code, text(name), 'HL70357'], d.component);
  let eld = '';
  if (isLegacy(header.version)) {
    const where = item.location
      ? [item.location.segment, String(item.location.sequence), item.location.field?.toString() ?? '']
      : ['', '', ''];
    const codeParts = [item.code, text(name), 'HL70357'];
    eld = joinTrimmed([...where, d.subcomponent === '' ? item.code : codeParts.join(d.subcomponent)], c);
  }
  const fields = [
    'ERR',
    eld,
    joinTrimmed(place(item.location), d.component),
    code,
    'E',
    item.rule ? text(item.rule) : '',
    '',
    '',
    text(item.message),
  ];
  return fields.join(d.field);
}

/**
 * The ACK of a message, in original mode: MSH with the sender and receiver swapped, the message's own
 * delimiters, version and processing ID; MSA-2 = its MSH-10; one ERR per problem (table 0357 in ERR-3).
 */
export function buildAck(
  header: MessageHeader,
  code: AckCode,
  text: string,
  problems: readonly Problem[],
  settings: AckSettings,
): string {
  const d = header.delimiters;
  const c = d.component;
  const type =
    header.triggerEvent === '' || c === ''
      ? 'ACK'
      : header.messageTypeParts >= 3
        ? `ACK${c}${header.triggerEvent}${c}ACK`
        : `ACK${c}${header.triggerEvent}`;
  const msh = [
    'MSH',
    d.encoding,
    header.receivingApplication || escapeText(settings.applicationName, d),
    header.receivingFacility || escapeText(settings.facilityName, d),
    header.sendingApplication,
    header.sendingFacility,
    hl7Now(settings.clock()),
    '',
    type,
    settings.nextControlId(),
    header.processingId || 'P',
    header.version || '2.5.1',
    ...(header.charset === 'latin1' ? ['', '', '', '', '', '8859/1'] : []),
  ];
  const summary = text.length > MAX_ACK_TEXT ? `${text.slice(0, MAX_ACK_TEXT - 1)}…` : text;
  const msa = ['MSA', code, header.controlId, escapeText(summary, d)];
  return [msh.join(d.field), msa.join(d.field), ...problems.map((item) => errSegment(item, header))].join(
    '\r',
  );
}
