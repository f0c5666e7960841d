import type { OutgoingEvent } from '../events/outbox.ts';
import type { RequestAudit } from './request-audit.ts';

/**
 * For a domain's change, inside its transaction: the audit event recording that the running mutation
 * writes `patientId`, to commit with the change's own events (`[...events, ...auditedWrite(context, id)]`).
 * The change and its record are then one commit, and the request has nothing left to write for it. None
 * when the request audits nothing (no principal, a subgraph that does not audit, not a mutation's field):
 * then the kit records the mutation's answer with the request's batch instead.
 */
export function auditedWrite(context: { audit?: RequestAudit | undefined } | undefined, patientId: string) {
  return (context?.audit?.writeEvents(patientId) ?? []) as OutgoingEvent[];
}
