import type { Logger } from '@hsg/kit';
import { type AckCode, buildAck, createControlIds } from './ack.ts';
import { decodeMessage, encodeText } from './charset.ts';
import { parseEr7, type Segment } from './er7.ts';
import type { Charset } from './escapes.ts';
import { graphLimits } from './lab-results.ts';
import type { MappedCall } from './mapping.ts';
import { headerText, type MessageHeader, readHeader, unknownHeader } from './oru.ts';
import { type Problem, problem } from './problems.ts';
import { type ReadSettings, readMessage } from './read-message.ts';
import { classifySinkFailure, type LabResultsSink, type LabResultsSinkError } from './sink.ts';

export type Transport = 'mllp' | 'http';

export interface MessageHandlerOptions {
  sink: LabResultsSink;
  logger: Logger;
  /** MSH-11 values taken (HL7_PROCESSING_IDS); default P only. */
  processingIds?: readonly string[];
  /** IANA zone of date/times without an offset (HL7_DEFAULT_TIME_ZONE); default UTC. */
  defaultTimeZone?: string;
  /** Results per recordLabResults call (at most the graph's 100). */
  maxResultsPerCall?: number;
  /** The ACK's MSH-3/MSH-4 when the message left MSH-5/MSH-6 empty. */
  applicationName?: string;
  facilityName?: string;
  clock?: () => Date;
  nextControlId?: () => string;
}

export interface HandledMessage {
  code: AckCode;
  /** The ACK as text (segments end in CR) and as bytes in the message's character set. */
  text: string;
  bytes: Buffer;
  charset: Charset;
}

export interface MessageHandler {
  /** One message (without MLLP framing) → its ACK, after the sink stored its results. Never rejects. */
  handle(bytes: Buffer, transport: Transport): Promise<HandledMessage>;
  /** The AR for a message over the size limit, from its first bytes (enough for its MSH). */
  tooLarge(head: Buffer, limit: number, transport: Transport): HandledMessage;
}

const resultIndex = /^input\.results\[(\d+)\]/;

/** A sink failure as what the sender reads in ERR. */
function sinkProblem(failure: LabResultsSinkError, call: MappedCall): Problem {
  const { code, rule, field } = failure.details;
  const reason = rule ?? code;
  if (failure.kind === 'unavailable')
    return problem(
      '207',
      'The lab results store is unavailable; send the message again later',
      undefined,
      reason,
    );
  if (rule === 'UNKNOWN_PATIENT' || code === 'NOT_FOUND')
    return problem(
      '204',
      'PID-3 names no patient known to the clinic',
      { ...call.patient, field: 3 },
      reason,
    );
  if (rule === 'MESSAGE_ID_REUSED' || code === 'CONFLICT')
    return problem(
      '205',
      'MSH-10 was used before for another message from this facility; give a new message a new ID',
      { segment: 'MSH', sequence: 1, field: 10 },
      reason,
    );
  const graphMessage = failure.message.slice(0, 200);
  const index = resultIndex.exec(field ?? '');
  const location = index ? call.results[Number(index[1])] : undefined;
  if (location) return problem('102', `The graph refused this result: ${graphMessage}`, location, reason);
  return problem('207', `The graph refused the message: ${graphMessage}`, undefined, reason);
}

const resultsText = (count: number) => `${count} result${count === 1 ? '' : 's'}`;

/** A control ID for the logs: short, and only what an ID is made of. */
const loggable = (id: string) => id.replace(/[^\w.#:-]/g, '?').slice(0, 64);

/**
 * Parses, checks, maps and stores one message and answers its ACK (ADR 0022): AR for what is not taken
 * at all (not HL7, another type, version or processing ID, the store unavailable), AE for what is wrong
 * in it (segments, fields, values, the patient, a reused ID), AA once every call was stored or was a
 * duplicate. Logs one line per message: IDs, type, codes and counts, never content.
 */
export function createMessageHandler(options: MessageHandlerOptions): MessageHandler {
  const { sink, logger } = options;
  const settings: ReadSettings = {
    processingIds: options.processingIds ?? ['P'],
    defaultTimeZone: options.defaultTimeZone ?? 'UTC',
    maxResultsPerCall: Math.min(
      options.maxResultsPerCall ?? graphLimits.maxResultsPerCall,
      graphLimits.maxResultsPerCall,
    ),
  };
  const ackSettings = {
    applicationName: options.applicationName ?? 'HSG-HL7-BRIDGE',
    facilityName: options.facilityName ?? 'HSG',
    clock: options.clock ?? (() => new Date()),
    nextControlId: options.nextControlId ?? createControlIds(),
  };

  const answer = (
    header: MessageHeader,
    code: AckCode,
    problems: readonly Problem[],
    text: string,
    log: Record<string, unknown>,
  ): HandledMessage => {
    const ack = buildAck(header, code, text, problems, ackSettings);
    const fields = {
      ...log,
      ack: code,
      ...(problems.length > 0 ? { errors: problems.map((item) => item.code) } : {}),
    };
    if (code === 'AA') logger.info(fields, 'hl7 message acknowledged');
    else logger.warn(fields, 'hl7 message not accepted');
    return { code, text: ack, bytes: encodeText(ack, header.charset), charset: header.charset };
  };

  async function handle(bytes: Buffer, transport: Transport): Promise<HandledMessage> {
    const started = performance.now();
    const log: Record<string, unknown> = { transport, bytes: bytes.length };
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    let header: MessageHeader | undefined;
    try {
      const read = readMessage(bytes, settings);
      header = read.header;
      if (read.kind === 'not-hl7') return answer(header, 'AR', read.problems, 'Not an HL7 v2 message', log);
      log.messageId = loggable(headerText(header.controlId, header));
      log.type = `${header.messageType}^${header.triggerEvent}`;
      log.version = header.version;
      if (read.kind !== 'calls') {
        log.ms = elapsed();
        const code = read.kind === 'refused' ? 'AR' : 'AE';
        return answer(header, code, read.problems, (read.problems[0] as Problem).message, log);
      }
      const mapped = read;
      log.results = mapped.results;
      if (mapped.calls.length === 0) {
        log.ms = elapsed();
        return answer(header, 'AA', [], 'No results in the message; nothing stored', log);
      }
      let stored = 0;
      let duplicates = 0;
      for (const [index, call] of mapped.calls.entries()) {
        try {
          const outcome = await sink.record(call.input);
          stored += outcome.stored;
          if (outcome.duplicate) duplicates += 1;
        } catch (error) {
          const failure = classifySinkFailure(error);
          Object.assign(log, {
            ms: elapsed(),
            stored,
            call: index + 1,
            calls: mapped.calls.length,
            sink: { kind: failure.kind, code: failure.details.code, rule: failure.details.rule },
          });
          const item = sinkProblem(failure, call);
          return answer(header, failure.kind === 'content' ? 'AE' : 'AR', [item], item.message, log);
        }
      }
      Object.assign(log, { ms: elapsed(), stored, calls: mapped.calls.length, duplicates });
      const calls = mapped.calls.length;
      const summary =
        duplicates === calls
          ? 'Already recorded; nothing new stored'
          : duplicates > 0
            ? `${resultsText(stored)} recorded (${duplicates} of ${calls} parts were recorded before)`
            : `${resultsText(stored)} recorded`;
      return answer(header, 'AA', [], summary, log);
    } catch (error) {
      // A bug, never the message's fault: the sender keeps it and sends it again.
      logger.error({ ...log, err: error }, 'hl7 message failed');
      return answer(
        header ?? unknownHeader(),
        'AR',
        [problem('207', 'The bridge failed to process the message; send it again later')],
        'Application internal error',
        { ...log, ms: elapsed() },
      );
    }
  }

  function tooLarge(head: Buffer, limit: number, transport: Transport): HandledMessage {
    const log: Record<string, unknown> = { transport, limit };
    let header = unknownHeader();
    try {
      const { text, charset } = decodeMessage(head);
      // Only a complete first line is a header to trust: a cut one could name the wrong control ID.
      const lineEnd = text.search(/[\r\n]/);
      const parsed = lineEnd < 0 ? undefined : parseEr7(text.slice(0, lineEnd));
      if (parsed?.ok) {
        header = readHeader(parsed.message.segments[0] as Segment, parsed.message.delimiters, charset);
        log.messageId = loggable(headerText(header.controlId, header));
        log.type = `${header.messageType}^${header.triggerEvent}`;
      }
    } catch {
      // the defaults stay
    }
    const message = `The message is larger than ${limit} bytes; split it into several messages`;
    return answer(header, 'AR', [problem('207', message)], message, log);
  }

  return { handle, tooLarge };
}
