import type { Charset } from './escapes.ts';

/**
 * Bytes to text by the message's own character set (MSH-18): ISO 8859-1 when it says `8859/1`, else
 * UTF-8 (ASCII, `UNICODE UTF-8` and no MSH-18 at all). A leading UTF-8 byte order mark is dropped.
 */
export function decodeMessage(bytes: Buffer): { text: string; charset: Charset } {
  const body =
    bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
      ? bytes.subarray(3)
      : bytes;
  const charset = charsetOf(body);
  return { text: body.toString(charset), charset };
}

/** MSH-18 read from the raw header (ASCII in every character set HL7 allows here). */
export function charsetOf(bytes: Buffer): Charset {
  // The header is the first line: read only that, and at most 2 KiB (far more than any MSH).
  const limit = Math.min(bytes.length, 2048);
  const start = bytes.subarray(0, 32).indexOf('MSH');
  if (start < 0) return 'utf8';
  let end = start;
  while (end < limit && bytes[end] !== 0x0d && bytes[end] !== 0x0a) end++;
  const header = bytes.toString('latin1', start, end);
  const separator = header.charAt(3);
  if (separator === '') return 'utf8';
  // MSH-1 is the separator at 3; MSH-18 begins after the 17th separator.
  let from = 3;
  for (let count = 1; count < 17; count++) {
    from = header.indexOf(separator, from + 1);
    if (from < 0) return 'utf8';
  }
  const to = header.indexOf(separator, from + 1);
  const value = header
    .slice(from + 1, to < 0 ? undefined : to)
    .trim()
    .toUpperCase();
  if (value === '') return 'utf8';
  // The first repetition names the default character set; a component would be a second one.
  let first = value;
  for (const character of [header.charAt(5), header.charAt(4)])
    if (character !== '') first = first.split(character)[0] ?? '';
  return first === '8859/1' ? 'latin1' : 'utf8';
}

/** Text to bytes in the character set the message came in (the ACK answers in kind). */
export const encodeText = (text: string, charset: Charset): Buffer => Buffer.from(text, charset);
