import { isAppError } from '@hsg/kit';
import type { RecordLabResultsInput } from './lab-results.ts';

/**
 * Where a message's results go: the bridge's store seam. `record` resolves once the results are stored
 * durably (only then is the message acknowledged), answers `duplicate: true` when this call's
 * (sendingFacility, messageId) was recorded before, and throws a LabResultsSinkError otherwise.
 */
export interface LabResultsSink {
  record(input: RecordLabResultsInput): Promise<{ duplicate: boolean; stored: number }>;
}

/**
 * content: the message is wrong for the graph (unknown patient, a value it refuses, a reused message ID):
 * sending it again will not help (AE). unavailable: the graph could not take it now (down, overloaded,
 * timed out, the bridge's login refused): the sender should send it again later (AR).
 */
export type SinkFailureKind = 'content' | 'unavailable';

export interface SinkFailureDetails {
  /** The graph's `extensions.code` (BAD_USER_INPUT, NOT_FOUND, UNAVAILABLE, …) or an HTTP status. */
  code?: string;
  /** The graph's `extensions.rule` (UNKNOWN_PATIENT, MESSAGE_ID_REUSED, …). */
  rule?: string;
  /** The graph's `extensions.field`: a path into the input such as `input.results[3].valueQuantity`. */
  field?: string;
}

export class LabResultsSinkError extends Error {
  readonly kind: SinkFailureKind;
  readonly details: SinkFailureDetails;

  constructor(kind: SinkFailureKind, message: string, details: SinkFailureDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.kind = kind;
    this.details = details;
  }
}

// On the prototype: the kit's logger redacts an own `name` key.
Object.defineProperty(LabResultsSinkError.prototype, 'name', { value: 'LabResultsSinkError' });

export const contentFailure = (message: string, details: SinkFailureDetails = {}) =>
  new LabResultsSinkError('content', message, details);
export const unavailableFailure = (message: string, details: SinkFailureDetails = {}, cause?: unknown) =>
  new LabResultsSinkError('unavailable', message, details, cause);

/** The graph's error codes that say the input is wrong; every other one is the graph's or the bridge's state. */
export const contentCodes: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
]);

/**
 * Any failure of a sink as content or unavailable. Sinks should throw LabResultsSinkError; the kit's
 * AppError is read by its code; anything else (a lost connection, a bug) counts as unavailable, so the
 * sender keeps the message and sends it again rather than the bridge dropping it.
 */
export function classifySinkFailure(error: unknown): LabResultsSinkError {
  if (error instanceof LabResultsSinkError) return error;
  if (isAppError(error)) {
    const details: SinkFailureDetails = { code: error.code };
    const rule = error.details?.rule;
    const field = error.details?.field;
    if (typeof rule === 'string') details.rule = rule;
    if (typeof field === 'string') details.field = field;
    return new LabResultsSinkError(
      contentCodes.has(error.code) ? 'content' : 'unavailable',
      error.message,
      details,
      error,
    );
  }
  return unavailableFailure('The lab results store failed', {}, error);
}
