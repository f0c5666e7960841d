import { auditRecorded } from '@hsg/contracts';
import { badUserInput, forbidden, isUuid, type Logger, unauthenticated } from '@hsg/kit';
import type { Principal } from '@hsg/kit/auth';
import { createEventConsumer, type EventConsumer, type EventTransport, on, sqlInbox } from '@hsg/kit/events';
import { cursorCodec, validPageSize } from '@hsg/kit/graphql';
import type { SqlDatabase } from '@hsg/kit/sql';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { AuditCursor, AuditFilter } from './model.ts';
import type { IdentityStore } from './store.ts';
import type { AuditEntryRow } from './store-sql.ts';

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
        // Every row in one parameter: an event of a busy subgraph holds hundreds, and a VALUES list binds
        // thirteen parameters for each (most of this consumer's time went into building it).
        await sql`insert into audit_entries (${sql.join(entryColumns.map((column) => sql.ref(column)))})
          select ${sql.join(entryColumns.map((column) => sql.ref(column)))}
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as entry(${sql.raw(entryRecordType)})`.execute(
          trx,
        );
      }),
    ],
    logger: options.logger,
  });
}

/** audit_entries' columns with their types, as jsonb_to_recordset reads a row. */
const entryTypes = {
  id: 'uuid',
  at: 'timestamptz',
  user_id: 'text',
  role: 'text',
  patient_id: 'text',
  subgraph: 'text',
  operation_name: 'text',
  root_fields: 'text[]',
  operation_type: 'text',
  fields: 'text[]',
  outcome: 'text',
  trace_id: 'text',
  event_id: 'text',
} satisfies Record<keyof AuditEntryRow, string>;
const entryColumns = Object.keys(entryTypes);
const entryRecordType = Object.entries(entryTypes)
  .map(([column, type]) => `${column} ${type}`)
  .join(', ');

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

/** Reading the trail: only a caller with `audit:read` (ADMIN), whatever the schema says on top. */
export function createAuditTrail(store: IdentityStore) {
  return {
    async entries(
      principal: Principal | undefined,
      filter: AuditFilter | null | undefined,
      first: number,
      after: string | null | undefined,
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
      return { ...page, totalCount: () => store.countAuditEntries(normalized) };
    },
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;
