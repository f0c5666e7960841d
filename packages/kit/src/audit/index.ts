export type { AuditDeclaration, AuditTarget, PatientOf } from './declaration.ts';
export type {
  AuditBatch,
  AuditEventData,
  AuditEventDefinition,
  AuditOperationType,
  AuditOutcome,
  AuditRecord,
} from './record.ts';
export { auditEventOf, RequestAudit, type RequestAuditOptions } from './request-audit.ts';
export {
  type AuditSink,
  auditUnavailable,
  flushAudit,
  type OutboxAuditSinkOptions,
  outboxAuditSink,
} from './sink.ts';
export { auditedWrite } from './write.ts';
