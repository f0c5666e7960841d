import type { Delimiters } from './er7.ts';

/** How \Xhh…\ bytes become text: the message's character set (MSH-18). */
export type Charset = 'utf8' | 'latin1';

/** Repeats in \.sp n\ and \.sk n\ are capped: a text is a few lines, not a way to allocate memory. */
const MAX_REPEAT = 100;
const hexPairs = /^(?:[0-9A-Fa-f]{2})+$/;

function repeatOf(argument: string): number {
  const count = argument.trim() === '' ? 1 : Number.parseInt(argument, 10);
  return Number.isFinite(count) && count > 0 ? Math.min(count, MAX_REPEAT) : 1;
}

/** What one escape sequence (between the escape characters) stands for; undefined when it is unknown. */
function resolve(sequence: string, delimiters: Delimiters, charset: Charset): string | undefined {
  switch (sequence) {
    case 'F':
      return delimiters.field;
    case 'S':
      return delimiters.component;
    case 'T':
      return delimiters.subcomponent;
    case 'R':
      return delimiters.repetition;
    case 'E':
      return delimiters.escape;
    case 'P':
      return delimiters.truncation === '' ? undefined : delimiters.truncation;
    case 'H':
    case 'N':
      return ''; // highlighting on/off: plain text has none
  }
  const head = sequence.charAt(0);
  if (head === 'X') {
    const hex = sequence.slice(1);
    return hexPairs.test(hex) ? Buffer.from(hex, 'hex').toString(charset) : undefined;
  }
  // Character set switches (\Cxxyy\, \Mxxyyzz\) and locally defined escapes (\Z…\) carry no text.
  if (head === 'C' || head === 'M' || head === 'Z') return sequence.length > 1 ? '' : undefined;
  if (head === '.') {
    // FT formatting commands: line breaks become newlines, the layout commands are dropped.
    const command = sequence.slice(1, 3);
    const argument = sequence.slice(3);
    switch (command) {
      case 'br':
        return argument === '' ? '\n' : undefined;
      case 'sp':
        return '\n'.repeat(repeatOf(argument));
      case 'sk':
        return ' '.repeat(repeatOf(argument));
      case 'ce':
        return '\n';
      case 'fi':
      case 'nf':
      case 'in':
      case 'ti':
        return '';
    }
  }
  return undefined;
}

/**
 * A value as text: escape sequences resolved (\F\ \S\ \T\ \R\ \E\ \P\, \H\ \N\ dropped, \Xhh…\ decoded,
 * FT formatting such as \.br\ as newlines). An unknown or unterminated sequence is kept as it was sent,
 * so a stray escape character in a badly escaped value survives.
 */
export function unescapeText(value: string, delimiters: Delimiters, charset: Charset = 'utf8'): string {
  const escapeChar = delimiters.escape;
  if (escapeChar === '' || value.indexOf(escapeChar) < 0) return value;
  let out = '';
  let position = 0;
  while (position < value.length) {
    const start = value.indexOf(escapeChar, position);
    if (start < 0) break;
    const end = value.indexOf(escapeChar, start + 1);
    if (end < 0) break;
    const resolved = resolve(value.slice(start + 1, end), delimiters, charset);
    if (resolved === undefined) {
      // Keep the escape character literally; its partner may open the next sequence.
      out += value.slice(position, end);
      position = end;
    } else {
      out += value.slice(position, start) + resolved;
      position = end + 1;
    }
  }
  return out + value.slice(position);
}

/** Text made safe for a field: every delimiter (and the escape character) written as its sequence. */
export function escapeText(text: string, delimiters: Delimiters): string {
  const escapeChar = delimiters.escape;
  if (escapeChar === '') {
    // Nothing can be escaped: delimiters are replaced by spaces so the structure survives.
    let out = text;
    for (const char of [
      delimiters.field,
      delimiters.component,
      delimiters.repetition,
      delimiters.subcomponent,
    ])
      if (char !== '') out = out.split(char).join(' ');
    return out.replace(/[\r\n]+/g, ' ');
  }
  const sequence = (code: string) => `${escapeChar}${code}${escapeChar}`;
  let out = '';
  for (const char of text.replace(/\r\n/g, '\n')) {
    if (char === escapeChar) out += sequence('E');
    else if (char === delimiters.field) out += sequence('F');
    else if (char === delimiters.component) out += sequence('S');
    else if (char === delimiters.repetition) out += sequence('R');
    else if (char === delimiters.subcomponent) out += sequence('T');
    else if (char === delimiters.truncation) out += sequence('P');
    else if (char === '\r' || char === '\n') out += sequence('.br');
    else out += char;
  }
  return out;
}
