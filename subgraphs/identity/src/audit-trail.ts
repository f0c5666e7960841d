import { auditRecorded } from '@hsg/contracts';
import { badUserInput, forbidden, isUuid, type Logger, unauthenticated } from '@hsg/kit';
import { auditUnavailable } from '@hsg/kit/audit';
import type { Principal } from '@hsg/kit/auth';
import { createEventConsumer, type EventConsumer, type EventTransport, on, sqlInbox } from '@hsg/kit/events';
import { cursorCodec, validPageSize } from '@hsg/kit/graphql';
import type { SqlDatabase } from '@hsg/kit/sql';
import { v7 as uuidv7 } from 'uuid';
import type { AuditCursor, AuditEntry, AuditFilter } from './model.ts';
import type { IdentityStore } from './store.ts';
import { type AuditEntryRow, insertAuditEntries } from './store-sql.ts';

/** The scope reading the audit trail needs (ADMIN's, see scopesOf in @hsg/kit/auth). */
export const readAudit = 'audit:read';

/**
 * The audit consumer's group. Its offsets only make sense with the table it filled, so it is named after
 * the schema: a fresh schema (a reset, a test) reads the topic again from the start.
 */
export const auditGroupFor = (database: SqlDatabase): string => `identity.audit.${database.namespace}`;

/**
 * Keeps the audit trail from the `audit.recorded` events of every subgraph (ADR 0017): one row per
 * record of each request it carries, inserted in the inbox's transaction, so a redelivered event adds nothing. Only ever inserts.
 * Its logs name events by id and offset (the kit consumer's), never what they hold.
 */
export function createAuditTrailConsumer(options: {
  database: SqlDatabase;
  transport: EventTransport;
  logger: Logger;
}): EventConsumer {
  return createEventConsumer({
    transport: options.transport,
    inbox: sqlInbox(options.database),
    groupId: auditGroupFor(options.database),
    // The trail may lag a moment: a busy graph's records then arrive in batches of many events, each
    // batch one transaction, instead of a transaction (and an offset commit) per request group.
    batching: { minBytes: 256 * 1024, maxWaitMs: 200 },
    subscriptions: [
      on(auditRecorded, async (event, trx) => {
        const rows: AuditEntryRow[] = event.data.requests.flatMap((data) =>
          data.records.map((record) => ({
            id: uuidv7(),
            at: new Date(data.at),
            user_id: data.userId,
            role: data.role,
            patient_id: record.patientId,
            subgraph: data.subgraph,
            operation_name: data.operationName,
            root_fields: record.rootFields,
            operation_type: data.operationType,
            fields: record.fields,
            outcome: record.outcome,
            trace_id: data.traceId,
            event_id: event.id,
          })),
        );
        await insertAuditEntries(trx, rows);
      }),
    ],
    logger: options.logger,
  });
}

/** Keyset cursor over (at, id), newest first. */
export const auditCursor = cursorCodec<AuditCursor>(
  (cursor) => [cursor.at.toISOString(), cursor.id],
  ([at, id]) => {
    const date = typeof at === 'string' ? new Date(at) : undefined;
    return date && !Number.isNaN(date.getTime()) && isUuid(id) ? { at: date, id } : undefined;
  },
);

/** Ids compare as the subgraphs write them: a UUID in lower case. */
const normalizedId = (id: string | null | undefined) => {
  const trimmed = id?.trim();
  if (!trimmed) return null;
  return isUuid(trimmed) ? trimmed.toLowerCase() : trimmed;
};

/** The request reading the trail, as its own entries name it. */
export interface TrailRead {
  operationName?: string | null | undefined;
  traceparent?: string | undefined;
}

/**
 * Reading the trail: only a caller with `audit:read` (ADMIN), whatever the schema says on top. A read is on
 * the trail itself, before its answer leaves: one entry per patient whose entries the page showed (and the
 * patient it was filtered by), so who looked into whose record is on record too. Entries with
 * `subgraph: identity` and the root field `auditEntries` are those reads; their `eventId` names the read.
 * A read whose entries cannot be written answers UNAVAILABLE, nothing else.
 */
export function createAuditTrail(store: IdentityStore) {
  async function recordRead(principal: Principal, patients: Set<string>, read: TrailRead): Promise<void> {
    if (patients.size === 0) return;
    const readId = uuidv7();
    const at = new Date();
    const entries: Array<AuditEntry & { eventId: string }> = [...patients].sort().map((patientId) => ({
      id: uuidv7(),
      at,
      userId: principal.userId,
      role: principal.role,
      patientId,
      subgraph: 'identity',
      operationName: read.operationName?.slice(0, 200) ?? null,
      rootFields: ['auditEntries'],
      operationType: 'READ',
      fields: ['Query.auditEntries'],
      outcome: 'ALLOWED',
      traceId: read.traceparent?.split('-')[1] ?? null,
      eventId: readId,
    }));
    try {
      await store.appendAuditEntries(entries);
    } catch {
      throw auditUnavailable();
    }
  }

  return {
    async entries(
      principal: Principal | undefined,
      filter: AuditFilter | null | undefined,
      first: number,
      after: string | null | undefined,
      read: TrailRead = {},
    ) {
      if (!principal) throw unauthenticated();
      if (!principal.scopes.has(readAudit)) throw forbidden('Only an ADMIN may read the audit trail');
      validPageSize(first);
      if (filter?.from && filter.to && filter.from >= filter.to)
        throw badUserInput('filter.from must be before filter.to', 'filter.from');
      const normalized: AuditFilter = {
        patientId: normalizedId(filter?.patientId),
        userId: normalizedId(filter?.userId),
        outcome: filter?.outcome ?? null,
        from: filter?.from ?? null,
        to: filter?.to ?? null,
      };
      const page = await store.auditEntries(normalized, first, after ? auditCursor.decode(after) : undefined);
      const patients = new Set(page.entries.flatMap((entry) => (entry.patientId ? [entry.patientId] : [])));
      if (normalized.patientId) patients.add(normalized.patientId);
      await recordRead(principal, patients, read);
      return { ...page, totalCount: () => store.countAuditEntries(normalized) };
    },
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;
