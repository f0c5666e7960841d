import type { AuditEventDefinition } from '@hsg/kit/audit';
import { roles } from '@hsg/kit/auth';
import { defineEvent, type EventData } from '@hsg/kit/events';
import { z } from 'zod';

/** Every subgraph that audits writes here; the identity subgraph keeps the trail (ADR 0017). */
export const auditTopic = 'audit.events';

export const auditOutcome = z.enum(['ALLOWED', 'DENIED']);
export const auditOperationType = z.enum(['READ', 'WRITE']);

/** One patient's part of one request: what of them was read or written, or refused. */
export const auditRecord = z.object({
  /** Null for a refusal whose patient is not known (nothing was loaded). */
  patientId: z.string().min(1).max(200).nullable(),
  outcome: auditOutcome,
  /** `Type.field` of every top-level field asked of the patient's objects (or refused). */
  fields: z.array(z.string().min(1).max(200)).max(500),
  /** The operation's root fields that led to the patient. */
  rootFields: z.array(z.string().min(1).max(200)).max(100),
});

/** One request's records in one subgraph, written before its answer left (or a change's, in its transaction). */
export const auditRequest = z.object({
  subgraph: z.string().min(1),
  userId: z.string().min(1),
  role: z.enum(roles),
  /** As the subgraph received it: through the router `<ClientName>__<subgraph>__<n>`. */
  operationName: z.string().max(200).nullable(),
  operationType: auditOperationType,
  at: z.iso.datetime({ offset: true }),
  /** The W3C trace id (32 hex digits) of the request, when it came with a trace context. */
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .nullable(),
  records: z.array(auditRecord).min(1),
});

/**
 * The requests one INSERT of a subgraph's audit sink wrote (its group commit), or one change's. Subject:
 * the subgraph, so its records reach the trail in order. Never logged: it holds patient ids.
 */
export const auditRecorded = defineEvent({
  type: 'audit.recorded',
  topic: auditTopic,
  data: z.object({ requests: z.array(auditRequest).min(1).max(1_000) }),
}) satisfies AuditEventDefinition; // the kit writes what this defines: a drift fails the type check here

export type AuditRecorded = EventData<typeof auditRecorded>;
export type AuditRequest = z.output<typeof auditRequest>;
