export type { AuditDeclaration, AuditTarget, PatientOf } from './declaration.ts';
export type {
  AuditBatch,
  AuditEventDefinition,
  AuditOperationType,
  AuditOutcome,
  AuditRecord,
} from './record.ts';
export { RequestAudit, type RequestAuditOptions } from './request-audit.ts';
export { type AuditSink, auditUnavailable, flushAudit, outboxAuditSink } from './sink.ts';
export { auditedWrite } from './write.ts';
