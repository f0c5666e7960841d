import type { Role } from '../auth/principal.ts';
import type { EventDefinition } from '../events/envelope.ts';

/** Whether the rules let the access through. */
export type AuditOutcome = 'ALLOWED' | 'DENIED';
/** A mutation writes, anything else reads. */
export type AuditOperationType = 'READ' | 'WRITE';

/**
 * One patient's part of one request: what was read or written of them, or refused. A request has at most
 * one record per (patient, outcome); its fields are the union of every object of that patient it touched.
 */
export interface AuditRecord {
  /** The patient whose data it is; null for a refusal whose patient is not known (nothing was loaded). */
  patientId: string | null;
  outcome: AuditOutcome;
  /** `Type.field` of every top-level field selected on the patient's objects (or refused), sorted. */
  fields: string[];
  /** The operation's root fields that led to the patient (`patients`, `_entities`, `updatePatient`), sorted. */
  rootFields: string[];
}

/** Every record of one request of one subgraph (or one change's, written in its transaction). */
export interface AuditBatch {
  /** The subgraph that served the request. */
  subgraph: string;
  userId: string;
  role: Role;
  /** The GraphQL operation's name as the subgraph received it (through the router `<Name>__<subgraph>__<n>`). */
  operationName: string | null;
  operationType: AuditOperationType;
  /** When the request began (ISO 8601, UTC). */
  at: string;
  /** The W3C trace id of the request, when it came with a trace context. */
  traceId: string | null;
  records: AuditRecord[];
}

/**
 * What one audit event carries: the batches of the requests whose records one INSERT wrote (the sink's
 * group commit), or the one batch of a change written in its own transaction.
 */
export interface AuditEventData {
  requests: AuditBatch[];
}

/** The event the records travel in (`auditRecorded` of @hsg/contracts): the kit writes, identity keeps. */
export type AuditEventDefinition = EventDefinition<string, AuditEventData>;
