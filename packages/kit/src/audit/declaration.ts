import {
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isObjectType,
} from 'graphql';
import type { AuditEventDefinition } from './record.ts';

/** The patient an object of an audited type belongs to (its id, a patientId field, ...). */
// biome-ignore lint/suspicious/noExplicitAny: each subgraph types the objects its resolvers return
export type PatientOf = (value: any) => unknown;

/**
 * The patient a field names before it runs, for recording a refusal of it (`updatePatient(id)`,
 * `bookAppointment(input.patientId)`, an appointment id through a loader). Undefined when it names none.
 */
export type AuditTarget<Context = unknown> = (input: {
  // biome-ignore lint/suspicious/noExplicitAny: arguments as the field declares them
  args: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: the parent object, as the type's resolvers return it
  parent: any;
  context: Context;
}) => unknown;

/**
 * What a subgraph audits (ADR 0017): which of its types are patient data and how to find an object's
 * patient; every object of them a field answers is recorded, with the fields asked of it, and every
 * refusal on the way. `targets` (by `Type.field`) say which patient a refused field was about.
 */
export interface AuditDeclaration<Context = unknown> {
  types: Record<string, PatientOf>;
  targets?: Record<string, AuditTarget<Context>>;
  /** The event the records travel in: `auditRecorded` of @hsg/contracts. */
  event: AuditEventDefinition;
}

/** A subgraph's audit, checked against its schema. */
export interface AuditPlan {
  types: ReadonlyMap<string, PatientOf>;
  targets: ReadonlyMap<string, AuditTarget<never>>;
  /** Types whose fields lead to patient data: a refusal of a field returning one is recorded. */
  leadsToPatients: ReadonlySet<string>;
}

/** The patient id a mapping gave, if it can be one (ids here are short: anything long is no id). */
export const patientIdOf = (value: unknown): string | null =>
  typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : null;

/**
 * Checks the declaration against the schema (every type an object type, every target an existing field:
 * a typo would silently audit nothing) and works out which types lead to patient data.
 */
export function auditPlanOf(schema: GraphQLSchema, declaration: AuditDeclaration<never>): AuditPlan {
  const types = new Map(Object.entries(declaration.types));
  for (const name of types.keys())
    if (!isObjectType(schema.getType(name)))
      throw new Error(`audit names type "${name}", which is not an object type of the schema`);
  const targets = new Map(Object.entries(declaration.targets ?? {}));
  for (const coordinate of targets.keys()) {
    const [typeName, fieldName] = coordinate.split('.');
    const type = typeName === undefined ? undefined : schema.getType(typeName);
    if (!isObjectType(type) || fieldName === undefined || !(fieldName in type.getFields()))
      throw new Error(`audit names field "${coordinate}", which is not a field of the schema`);
  }
  return { types, targets, leadsToPatients: typesLeadingTo(schema, new Set(types.keys())) };
}

/** Object types from which some field (at any depth) answers an audited type, the audited ones included. */
function typesLeadingTo(schema: GraphQLSchema, audited: Set<string>): Set<string> {
  const leading = new Set(audited);
  const objects = Object.values(schema.getTypeMap()).filter(
    (type) => isObjectType(type) && !type.name.startsWith('__'),
  );
  for (let changed = true; changed; ) {
    changed = false;
    for (const type of objects) {
      if (leading.has(type.name) || !isObjectType(type)) continue;
      const reaches = Object.values(type.getFields()).some((field) =>
        answersAny(schema, getNamedType(field.type), leading),
      );
      if (reaches) {
        leading.add(type.name);
        changed = true;
      }
    }
  }
  return leading;
}

/** Whether a field of this (named) type can answer an object of one of `types`. */
export function answersAny(
  schema: GraphQLSchema,
  type: GraphQLNamedType,
  types: ReadonlySet<string>,
): boolean {
  if (isObjectType(type)) return types.has(type.name);
  return isAbstractType(type) && schema.getPossibleTypes(type).some((possible) => types.has(possible.name));
}
