import { decodeMessage } from './charset.ts';
import { parseEr7, type Segment } from './er7.ts';
import { type MappedCall, type MappingSettings, mapOruR01 } from './mapping.ts';
import { type HeaderSettings, headerProblems, type MessageHeader, readHeader, unknownHeader } from './oru.ts';
import type { Problem } from './problems.ts';

export type ReadSettings = MappingSettings & HeaderSettings;

/**
 * What a message is, before anything is stored: not HL7 at all or refused as a whole (both AR), wrong
 * in its content (AE), or the recordLabResults calls it makes. Pure: bytes in, calls out.
 */
export type ReadMessage =
  | { kind: 'not-hl7'; header: MessageHeader; problems: Problem[] }
  | { kind: 'refused'; header: MessageHeader; problems: Problem[] }
  | { kind: 'invalid'; header: MessageHeader; problems: Problem[] }
  | { kind: 'calls'; header: MessageHeader; calls: MappedCall[]; results: number };

export function readMessage(bytes: Buffer, settings: ReadSettings): ReadMessage {
  const { text, charset } = decodeMessage(bytes);
  const parsed = parseEr7(text);
  if (!parsed.ok) return { kind: 'not-hl7', header: unknownHeader(charset), problems: [parsed.problem] };
  const header = readHeader(parsed.message.segments[0] as Segment, parsed.message.delimiters, charset);
  const refused = headerProblems(header, settings);
  if (refused.length > 0) return { kind: 'refused', header, problems: refused };
  if (parsed.problems.length > 0) return { kind: 'invalid', header, problems: parsed.problems };
  const mapped = mapOruR01(parsed.message, header, settings);
  if (!mapped.ok) return { kind: 'invalid', header, problems: mapped.problems };
  return { kind: 'calls', header, calls: mapped.calls, results: mapped.results };
}
