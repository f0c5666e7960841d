import { auditRecorded } from '@hsg/contracts';
import { badUserInput, forbidden, isUuid, type Logger, unauthenticated } from '@hsg/kit';
import type { Principal } from '@hsg/kit/auth';
import { createEventConsumer, type EventConsumer, type EventTransport, on, sqlInbox } from '@hsg/kit/events';
import { cursorCodec, validPageSize } from '@hsg/kit/graphql';
import type { SqlDatabase } from '@hsg/kit/sql';
import type { Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { AuditCursor, AuditFilter } from './model.ts';
import type { IdentityStore } from './store.ts';
import type { AuditEntryRow, Tables } from './store-sql.ts';

/** The scope reading the audit trail needs (ADMIN's, see scopesOf in @hsg/kit/auth). */
export const readAudit = 'audit:read';

/**
 * The audit consumer's group. Its offsets only make sense with the table it filled, so it is named after
 * the schema: a fresh schema (a reset, a test) reads the topic again from the start.
 */
export const auditGroupFor = (database: SqlDatabase): string => `identity.audit.${database.namespace}`;

/**
 * Keeps the audit trail from the `audit.recorded` events of every subgraph (ADR 0017): one row per
 * record, inserted in the inbox's transaction, so a redelivered event adds nothing. Only ever inserts.
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
    subscriptions: [
      on(auditRecorded, async (event, trx) => {
        const { data } = event;
        const rows: AuditEntryRow[] = data.records.map((record) => ({
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
        }));
        await (trx as Transaction<Tables>).insertInto('audit_entries').values(rows).execute();
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
