import { type FieldNode, type GraphQLResolveInfo, getNamedType } from 'graphql';
import type { Principal } from '../auth/principal.ts';
import { type OutgoingEvent, outgoing } from '../events/outbox.ts';
import { rootFieldsByKey, selectedFields } from './fields.ts';
import type {
  AuditBatch,
  AuditEventData,
  AuditEventDefinition,
  AuditOperationType,
  AuditOutcome,
  AuditRecord,
} from './record.ts';

interface Entry {
  patientId: string | null;
  outcome: AuditOutcome;
  fields: Set<string>;
  rootFields: Set<string>;
}

/** A mutation root field running now: the patients its change recorded in its own transaction. */
interface Writing {
  info: GraphQLResolveInfo;
  rootKey: string;
  written: Set<string>;
}

export interface RequestAuditOptions {
  subgraph: string;
  principal: Principal;
  event: AuditEventDefinition;
  /** The request's trace context: the events carry it, the records its trace id. */
  traceparent?: string | undefined;
  /** When the request began (default: now). */
  at?: Date;
}

const sorted = (values: Iterable<string>) => [...values].sort();

/**
 * What one request did with patient data, collected while it runs (the access rules call it, see
 * enforceAccessRules) and written once before the answer leaves (flushAudit). One record per (patient,
 * outcome), its fields the union of every object of that patient the request touched. Lives in the request
 * context as `audit`; only a request with a principal has one.
 */
export class RequestAudit {
  readonly #options: RequestAuditOptions;
  readonly #at: string;
  readonly #entries = new Map<string, Entry>();
  /** Fields refused on a patient's own object: not part of what was read of them. */
  readonly #refusedFields = new Map<string, Set<string>>();
  /** The fields each field's selection asks of a type (list items share their field's nodes). */
  readonly #selections = new WeakMap<readonly FieldNode[], Map<string, string[]>>();
  #operation: { type: AuditOperationType; name: string | null } | undefined;
  #rootFields: Map<string, string> | undefined;
  #writing: Writing | undefined;
  /** Per root field (response key): patients whose write was recorded inside the change's transaction. */
  readonly #writtenWithChange = new Map<string, Set<string>>();

  constructor(options: RequestAuditOptions) {
    this.#options = options;
    this.#at = (options.at ?? new Date()).toISOString();
  }

  /** The request's trace context (its audit event carries it when written alone). */
  get traceparent(): string | undefined {
    return this.#options.traceparent;
  }

  /** Nothing recorded yet (so nothing to write). */
  get isEmpty(): boolean {
    return this.#entries.size === 0;
  }

  /** An object of patient data that a field answered (`typeName` is the object's type). */
  allowed(typeName: string, patientId: string, info: GraphQLResolveInfo): void {
    const root = this.#rootOf(info);
    if (this.#recordedWithChange(root.key, patientId)) return;
    this.#add(patientId, 'ALLOWED', this.#selected(info, typeName), root.name);
  }

  /** An object of patient data the type's rules refused: what was asked of it is recorded as DENIED. */
  deniedObject(typeName: string, patientId: string, info: GraphQLResolveInfo): void {
    this.#add(patientId, 'DENIED', this.#selected(info, typeName), this.#rootOf(info).name);
  }

  /**
   * A field the rules refused before it ran. `of`: 'patient' when the field is one of the patient's own
   * object (Patient.name: left out of what was read of them, too), 'returned' when it would have answered
   * patient data (what was asked of it is recorded), 'other' for anything else (the field is).
   */
  deniedField(
    patientId: string | null,
    info: GraphQLResolveInfo,
    of: 'patient' | 'returned' | 'other',
  ): void {
    const own = `${info.parentType.name}.${info.fieldName}`;
    const fields = of === 'returned' ? this.#selected(info, getNamedType(info.returnType).name) : [own];
    if (of === 'patient' && patientId !== null) {
      const refused = this.#refusedFields.get(patientId) ?? new Set();
      refused.add(own);
      this.#refusedFields.set(patientId, refused);
    }
    this.#add(patientId, 'DENIED', fields, this.#rootOf(info).name);
  }

  /** A mutation root field is about to run (mutations run one after another). */
  beginWrite(info: GraphQLResolveInfo): void {
    this.#seen(info);
    this.#writing = { info, rootKey: String(info.path.key), written: new Set() };
  }

  /** It ended: when it succeeded, the writes recorded with its change cover its answer. */
  endWrite(succeeded: boolean): void {
    const writing = this.#writing;
    this.#writing = undefined;
    if (succeeded && writing && writing.written.size > 0)
      this.#writtenWithChange.set(writing.rootKey, writing.written);
  }

  /**
   * The audit event of the running mutation's write of `patientId`, for the change's own transaction (see
   * auditedWrite): the change and its record then commit together. None outside a mutation's root field.
   */
  writeEvents(patientId: string): OutgoingEvent[] {
    const writing = this.#writing;
    if (writing === undefined) return [];
    writing.written.add(patientId);
    const record: AuditRecord = {
      patientId,
      outcome: 'ALLOWED',
      fields: sorted(this.#selected(writing.info, getNamedType(writing.info.returnType).name)),
      rootFields: [writing.info.fieldName],
    };
    const { event, traceparent } = this.#options;
    return [auditEventOf(event, [this.#batchOf([record], 'WRITE')], traceparent)];
  }

  /** Everything recorded so far, one record per (patient, outcome); undefined when there is nothing. */
  batch(): AuditBatch | undefined {
    if (this.#entries.size === 0) return undefined;
    const entries = [...this.#entries.values()].sort(
      (a, b) => (a.patientId ?? '').localeCompare(b.patientId ?? '') || a.outcome.localeCompare(b.outcome),
    );
    const records = entries.map((entry): AuditRecord => {
      const refused =
        entry.outcome === 'ALLOWED' && entry.patientId !== null
          ? this.#refusedFields.get(entry.patientId)
          : undefined;
      return {
        patientId: entry.patientId,
        outcome: entry.outcome,
        fields: sorted(refused ? [...entry.fields].filter((field) => !refused.has(field)) : entry.fields),
        rootFields: sorted(entry.rootFields),
      };
    });
    return this.#batchOf(records, this.#operation?.type ?? 'READ');
  }

  #batchOf(records: AuditRecord[], operationType: AuditOperationType): AuditBatch {
    const { principal, subgraph, traceparent } = this.#options;
    return {
      subgraph,
      userId: principal.userId,
      role: principal.role,
      operationName: this.#operation?.name ?? null,
      operationType,
      at: this.#at,
      traceId: traceparent?.split('-')[1] ?? null,
      records,
    };
  }

  #add(patientId: string | null, outcome: AuditOutcome, fields: Iterable<string>, rootField: string): void {
    const key = `${outcome}:${patientId ?? ''}`;
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { patientId, outcome, fields: new Set(), rootFields: new Set() };
      this.#entries.set(key, entry);
    }
    for (const field of fields) entry.fields.add(field);
    entry.rootFields.add(rootField);
  }

  #selected(info: GraphQLResolveInfo, typeName: string): string[] {
    let byType = this.#selections.get(info.fieldNodes);
    if (byType === undefined) {
      byType = new Map();
      this.#selections.set(info.fieldNodes, byType);
    }
    let fields = byType.get(typeName);
    if (fields === undefined) {
      fields = selectedFields(info, typeName);
      byType.set(typeName, fields);
    }
    return fields;
  }

  #seen(info: GraphQLResolveInfo): void {
    this.#operation ??= {
      type: info.operation.operation === 'mutation' ? 'WRITE' : 'READ',
      // The client names it: bounded, as the event's contract is.
      name: info.operation.name?.value.slice(0, 200) ?? null,
    };
  }

  /** Whether the change of the root field `rootKey` recorded its write of the patient in its transaction. */
  #recordedWithChange(rootKey: string, patientId: string): boolean {
    const writing = this.#writing;
    if (writing?.rootKey === rootKey && writing.written.has(patientId)) return true;
    return this.#writtenWithChange.get(rootKey)?.has(patientId) === true;
  }

  /** The root field an object came through: its response key (alias or name) and the field's name. */
  #rootOf(info: GraphQLResolveInfo): { key: string; name: string } {
    this.#seen(info);
    let path = info.path;
    while (path.prev !== undefined) path = path.prev;
    const key = String(path.key);
    if (path === info.path) return { key, name: info.fieldName };
    this.#rootFields ??= rootFieldsByKey(info);
    return { key, name: this.#rootFields.get(key) ?? key };
  }
}

/**
 * The event carrying these batches (all of one subgraph). Keyed by the subgraph, so one subgraph's
 * records reach the trail in the order they were written; the trace context only when it is one request's.
 */
export function auditEventOf(
  definition: AuditEventDefinition,
  batches: AuditBatch[],
  traceparent?: string | undefined,
): OutgoingEvent {
  const subgraph = batches[0]?.subgraph ?? 'unknown';
  const data: AuditEventData = { requests: batches };
  return outgoing(definition, {
    source: `urn:hsg:subgraph:${subgraph}`,
    subject: subgraph,
    data,
    traceparent: batches.length === 1 ? traceparent : undefined,
  });
}
