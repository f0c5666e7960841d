import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import { appendEvents, type OutgoingEvent } from '../events/outbox.ts';
import type { SqlDatabase } from '../sql/types.ts';
import type { RequestAudit } from './request-audit.ts';

/** Where a request's audit records go before its answer may leave. */
export interface AuditSink {
  /** Writes one request's event durably, as one statement; throws when it cannot. */
  write(event: OutgoingEvent): Promise<void>;
}

/**
 * The subgraph's own outbox: one row per request, in the same database as the data it describes (so it
 * needs no other service to be up), published by the relay like every event.
 *
 * Group commit: while one INSERT is in flight, the requests that finish meanwhile queue, and the next
 * INSERT writes them all (at most `maxBatch` rows). Each request still waits until its own row is written
 * (a failed INSERT fails every request it held), so nothing is answered before its record; an idle
 * subgraph writes at once, a busy one makes far fewer round trips than requests. At most one INSERT per
 * request, none for one that touched no patient.
 */
export function outboxAuditSink(database: SqlDatabase, { maxBatch = 200 } = {}): AuditSink {
  const queued: Array<{ event: OutgoingEvent; written: () => void; failed: (error: unknown) => void }> = [];
  let writing = false;
  async function drain(): Promise<void> {
    writing = true;
    while (queued.length > 0) {
      const group = queued.splice(0, maxBatch);
      try {
        await appendEvents(
          database,
          group.map((entry) => entry.event),
        );
        for (const entry of group) entry.written();
      } catch (error) {
        for (const entry of group) entry.failed(error);
      }
    }
    writing = false;
  }
  return {
    write: (event) =>
      new Promise<void>((written, failed) => {
        queued.push({ event, written, failed });
        if (!writing) void drain();
      }),
  };
}

/** What a client gets when its access could not be recorded: no data, worth a retry. */
export const auditUnavailable = () =>
  new AppError('UNAVAILABLE', 'The access could not be recorded, so nothing is answered; try again');

/** A failure's code and kind, never its message: a driver's message can quote the values it refused. */
function summary(error: unknown) {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    errorCode: typeof code === 'string' || typeof code === 'number' ? String(code) : undefined,
    errorType: error instanceof Error ? error.constructor.name : typeof error,
  };
}

/**
 * Writes what the request recorded, once its operation has run and before its answer is sent: nothing
 * when it touched no patient data. A failed write throws UNAVAILABLE, which the engine answers instead of
 * the result, so nothing patient-related leaves without its record. The log line says that it failed,
 * never what it held (no patient ids).
 */
export async function flushAudit(
  audit: RequestAudit | undefined,
  sink: AuditSink,
  logger: Logger,
): Promise<void> {
  if (audit === undefined || audit.isEmpty) return;
  try {
    const batch = audit.batch();
    if (batch) await sink.write(audit.eventOf(batch));
  } catch (error) {
    logger.error(summary(error), 'audit write failed; the answer is withheld');
    throw auditUnavailable();
  }
}
