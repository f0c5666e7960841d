import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import { appendEvents, type OutgoingEvent } from '../events/outbox.ts';
import type { SqlDatabase } from '../sql/types.ts';
import type { AuditBatch, AuditEventDefinition } from './record.ts';
import { auditEventOf, type RequestAudit } from './request-audit.ts';

/** Where a request's audit records go before its answer may leave. */
export interface AuditSink {
  /** Writes one request's batch durably; throws when it cannot. */
  write(batch: AuditBatch, traceparent?: string | undefined): Promise<void>;
}

export interface OutboxAuditSinkOptions {
  /** The event the batches travel in (`auditRecorded` of @hsg/contracts). */
  event: AuditEventDefinition;
  /** At most this many requests wait for one INSERT. */
  maxBatch?: number;
  /** An event holds at most this many records (more requests make more rows of the same INSERT). */
  maxRecordsPerEvent?: number;
}

/**
 * The subgraph's own outbox, in the same database as the data it describes (so it needs no other service
 * to be up), published by the relay like every event.
 *
 * Group commit: while one INSERT is in flight, the requests that finish meanwhile queue, and the next
 * INSERT writes them all, in one event (up to `maxRecordsPerEvent` records, then the next). Each request
 * still waits until its own records are written (a failed INSERT fails every request it held), so nothing
 * is answered before its record; an idle subgraph writes at once. A busy one makes far fewer round trips,
 * outbox rows, Kafka records and trail transactions than requests. None for a request that touched no
 * patient.
 */
export function outboxAuditSink(
  database: SqlDatabase,
  { event, maxBatch = 200, maxRecordsPerEvent = 1_000 }: OutboxAuditSinkOptions,
): AuditSink {
  interface Queued {
    batch: AuditBatch;
    traceparent: string | undefined;
    written: () => void;
    failed: (error: unknown) => void;
  }
  const queued: Queued[] = [];
  let writing = false;
  /** The group's events: consecutive requests share one until it would pass the record limit. */
  function eventsOf(group: Queued[]): OutgoingEvent[] {
    const events: OutgoingEvent[] = [];
    let shared: Queued[] = [];
    let records = 0;
    const close = () => {
      if (shared.length === 0) return;
      const batches = shared.map((entry) => entry.batch);
      events.push(auditEventOf(event, batches, shared.length === 1 ? shared[0]?.traceparent : undefined));
      shared = [];
      records = 0;
    };
    for (const entry of group) {
      if (records > 0 && records + entry.batch.records.length > maxRecordsPerEvent) close();
      shared.push(entry);
      records += entry.batch.records.length;
    }
    close();
    return events;
  }
  async function drain(): Promise<void> {
    writing = true;
    while (queued.length > 0) {
      const group = queued.splice(0, maxBatch);
      try {
        await appendEvents(database, eventsOf(group));
        for (const entry of group) entry.written();
      } catch (error) {
        for (const entry of group) entry.failed(error);
      }
    }
    writing = false;
  }
  return {
    write: (batch, traceparent) =>
      new Promise<void>((written, failed) => {
        queued.push({ batch, traceparent, written, failed });
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
    if (batch) await sink.write(batch, audit.traceparent);
  } catch (error) {
    logger.error(summary(error), 'audit write failed; the answer is withheld');
    throw auditUnavailable();
  }
}
