import type { RecordLabResultsInput } from './lab-results.ts';
import { contentFailure, type LabResultsSink } from './sink.ts';

export interface MemoryLabResultsSink extends LabResultsSink {
  /** Every call that stored something, in order. */
  readonly stored: RecordLabResultsInput[];
  /** Every call made, duplicates and refusals included. */
  readonly calls: RecordLabResultsInput[];
}

export interface MemorySinkOptions {
  /** MRNs the graph knows; others are refused as UNKNOWN_PATIENT. Default: every MRN is known. */
  knownMrns?: Iterable<string>;
}

/**
 * The graph's recordLabResults semantics in memory (tests, benchmarks, trying the bridge without the
 * graph): once per (sendingFacility, messageId); the same again is a duplicate; other content under the
 * same key is CONFLICT MESSAGE_ID_REUSED; an MRN it does not know is BAD_USER_INPUT UNKNOWN_PATIENT.
 */
export function createMemoryLabResultsSink(options: MemorySinkOptions = {}): MemoryLabResultsSink {
  const known = options.knownMrns
    ? new Set([...options.knownMrns].map((mrn) => mrn.toUpperCase()))
    : undefined;
  const batches = new Map<string, string>();
  const stored: RecordLabResultsInput[] = [];
  const calls: RecordLabResultsInput[] = [];
  return {
    stored,
    calls,
    async record(input) {
      calls.push(input);
      if (known && !known.has(input.patientMrn.toUpperCase()))
        throw contentFailure('input.patientMrn names no patient known here (rule UNKNOWN_PATIENT)', {
          code: 'BAD_USER_INPUT',
          rule: 'UNKNOWN_PATIENT',
          field: 'input.patientMrn',
        });
      const key = JSON.stringify([input.source.sendingFacility, input.source.messageId]);
      const content = JSON.stringify(input);
      const before = batches.get(key);
      if (before !== undefined) {
        if (before === content) return { duplicate: true, stored: 0 };
        throw contentFailure('input.source.messageId was recorded already with different content', {
          code: 'CONFLICT',
          rule: 'MESSAGE_ID_REUSED',
          field: 'input.source.messageId',
        });
      }
      batches.set(key, content);
      stored.push(input);
      return { duplicate: false, stored: input.results.length };
    },
  };
}
