import {
  type ConstDirectiveNode,
  defaultFieldResolver,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  getNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type ValueNode,
} from 'graphql';
import { type AuditPlan, answersAny, type PatientOf, patientIdOf } from '../audit/declaration.ts';
import type { RequestAudit } from '../audit/request-audit.ts';
import { forbidden, unauthenticated } from '../errors.ts';
import type { Principal } from './principal.ts';

/**
 * A named row-level rule of a subgraph, referenced from its schema with `@policy(policies: [["name"]])`.
 * On a field it decides from the arguments and the parent, before the field runs (so a mutation it
 * refuses never happens); on a type it decides on each object of that type a field returns.
 */
export type Policy<Context = unknown> = (input: {
  principal: Principal;
  /** The object of the type the policy is on (type-level), or the field's parent (field-level). */
  value: unknown;
  args: Record<string, unknown>;
  context: Context;
  /** The field being resolved (`_entities` when the router asks for entities by reference). */
  field: string;
}) => boolean | Promise<boolean>;

export type Policies<Context = unknown> = Record<string, Policy<Context>>;

/** What the directives of one field or type ask for; alternatives are OR-ed, the names inside AND-ed. */
interface Rules {
  authenticated: boolean;
  scopes: string[][];
  policies: string[][];
}

const none: Rules = { authenticated: false, scopes: [], policies: [] };
const isEmpty = (rules: Rules) =>
  !rules.authenticated && rules.scopes.length === 0 && rules.policies.length === 0;

/**
 * Enforces the access rules a subgraph's schema declares, with Federation's directives, in every field
 * resolver of the schema (both engines run the same schema object):
 * - every root field (Query, Mutation, Subscription), `_entities` included, needs a principal, else
 *   UNAUTHENTICATED; `@authenticated` asks the same of any other field or type;
 * - `@requiresScopes(scopes: [["a", "b"], ["c"]])`: the principal has a and b, or c, else FORBIDDEN;
 * - `@policy(policies: [[…]])`: the subgraph's named policies, alike.
 * A type's rules apply to every object of it a field returns, entities resolved for the router included:
 * a denied single object is that field's FORBIDDEN (the rest of the answer stays), denied items of a list
 * are left out. Filtering a list properly (its page, its totalCount) is the domain's job; this is the
 * net under it.
 *
 * With an audit plan (ADR 0017), the same wrappers tell the request's `audit` (in the context) every
 * object of an audited type a field answers, with the fields asked of it, and every refusal on the way:
 * an object the type's rules refused, a field refused on a patient's object or on the way to patient data.
 */
export function enforceAccessRules<Context extends { principal?: Principal | undefined }>(
  schema: GraphQLSchema,
  policies: Policies<Context> = {},
  audit?: AuditPlan,
): GraphQLSchema {
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(
      (type): type is GraphQLObjectType => type !== null && type !== undefined,
    ),
  );
  const typeRules = new Map<string, Rules>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const rules = rulesOf([type.astNode, ...(type.extensionASTNodes ?? [])].flatMap(directivesOf));
    assertKnown(rules, policies, type.name);
    if (!isEmpty(rules)) typeRules.set(type.name, rules);
  }
  const check = makeChecker(policies);

  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const isRoot = roots.has(type);
    for (const field of Object.values(type.getFields())) {
      if (field.name === '_service') continue;
      const own = rulesOf(directivesOf(field.astNode));
      assertKnown(own, policies, `${type.name}.${field.name}`);
      const fieldRules: Rules = { ...own, authenticated: own.authenticated || isRoot };
      const returned = getNamedType(field.type);
      const isEntities = field.name === '_entities';
      const onValues = isEntities ? undefined : typeRules.get(returned.name);
      const audited = audit && fieldAuditOf(audit, schema, type, field, type === schema.getMutationType());
      if (isEmpty(fieldRules) && onValues === undefined && !isEntities && audited?.returns === undefined)
        continue;
      wrap(field, fieldRules, onValues, isEntities ? typeRules : undefined, check, audited);
    }
  }
  return schema;
}

/** How one field takes part in the audit. */
interface FieldAudit {
  /** The field answers objects of an audited type: how to find their patient. */
  returns: { typeName: string; patientOf: PatientOf } | undefined;
  /** `_entities`: the audited types, by name. */
  entities: ReadonlyMap<string, PatientOf> | undefined;
  /** A refusal of the field is recorded: about whom, and what it is of. */
  denial:
    | {
        of: 'patient' | 'returned' | 'other';
        patient: (parent: unknown, args: Record<string, unknown>, context: unknown) => unknown;
      }
    | undefined;
  /** A mutation's root field: its change may record its write in its own transaction (auditedWrite). */
  writes: boolean;
}

function fieldAuditOf(
  plan: AuditPlan,
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  isMutation: boolean,
): FieldAudit | undefined {
  const returned = getNamedType(field.type);
  const patientOf = plan.types.get(returned.name);
  const returns = patientOf === undefined ? undefined : { typeName: returned.name, patientOf };
  const entities = field.name === '_entities' ? plan.types : undefined;
  const parentOf = plan.types.get(type.name);
  const target = plan.targets.get(`${type.name}.${field.name}`);
  const of = parentOf ? 'patient' : returns ? 'returned' : 'other';
  const denial =
    target !== undefined
      ? {
          of,
          patient: (parent: unknown, args: Record<string, unknown>, context: unknown) =>
            target({ parent, args, context } as never),
        }
      : parentOf !== undefined
        ? { of, patient: (parent: unknown) => parentOf(parent) }
        : field.name !== '_entities' && answersAny(schema, returned, plan.leadsToPatients)
          ? { of, patient: () => null }
          : undefined;
  if (!returns && !entities && !denial && !isMutation) return undefined;
  return { returns, entities, denial: denial as FieldAudit['denial'], writes: isMutation };
}

/** Records a refused field; its patient when the declaration can tell (never failing the refusal). */
async function recordDenial(
  audit: RequestAudit,
  denial: NonNullable<FieldAudit['denial']>,
  parent: unknown,
  args: Record<string, unknown>,
  context: unknown,
  info: GraphQLResolveInfo,
): Promise<void> {
  let patientId: string | null = null;
  try {
    patientId = patientIdOf(await denial.patient(parent, args, context));
  } catch {
    patientId = null; // the refusal stands and is recorded, without its patient
  }
  audit.deniedField(patientId, info, denial.of);
}

type Checker = (rules: Rules, principal: Principal | undefined, input: PolicyInput) => Promise<boolean>;

/** Why there is no principal: the token's own failure (expired, not ours), else none was sent. */
const noPrincipal = (context: unknown) =>
  (context as { authFailure?: Error } | null)?.authFailure ?? unauthenticated();
type PolicyInput = { value: unknown; args: Record<string, unknown>; context: unknown; field: string };

function makeChecker(policies: Policies<never>): Checker {
  return async (rules, principal, input) => {
    if (principal === undefined) {
      if (rules.authenticated || rules.scopes.length > 0 || rules.policies.length > 0)
        throw noPrincipal(input.context);
      return true;
    }
    if (rules.scopes.length > 0 && !rules.scopes.some((all) => all.every((s) => principal.scopes.has(s))))
      return false;
    if (rules.policies.length === 0) return true;
    for (const all of rules.policies) {
      let allowed = true;
      for (const name of all) {
        const policy = policies[name] as Policy<unknown>;
        if (!(await policy({ principal, ...input }))) {
          allowed = false;
          break;
        }
      }
      if (allowed) return true;
    }
    return false;
  };
}

function wrap(
  field: GraphQLField<unknown, unknown>,
  fieldRules: Rules,
  onValues: Rules | undefined,
  entityRules: Map<string, Rules> | undefined,
  check: Checker,
  audited: FieldAudit | undefined,
): void {
  const resolve = field.resolve ?? defaultFieldResolver;
  const isList = isListType(isNonNullType(field.type) ? field.type.ofType : field.type);
  const valueCheck = async (
    rules: Rules,
    value: unknown,
    input: Omit<PolicyInput, 'value'>,
    principal?: Principal,
  ) => value === null || value === undefined || (await check(rules, principal, { ...input, value }));

  /** Tells the audit about an object this field answers (allowed) or the type's rules refused. */
  const record = (
    audit: RequestAudit | undefined,
    item: unknown,
    allowed: boolean,
    info: GraphQLResolveInfo,
  ) => {
    const returns = audited?.returns;
    if (audit === undefined || returns === undefined || item === null || item === undefined) return;
    const patientId = patientIdOf(returns.patientOf(item));
    if (patientId === null) return;
    if (allowed) audit.allowed(returns.typeName, patientId, info);
    else audit.deniedObject(returns.typeName, patientId, info);
  };

  const guard = async (
    value: unknown,
    input: Omit<PolicyInput, 'value'>,
    principal: Principal | undefined,
    audit: RequestAudit | undefined,
    info: GraphQLResolveInfo,
  ) => {
    if (entityRules) {
      const entityAudit = audit && audited?.entities ? { audit, types: audited.entities, info } : undefined;
      return guardEntities(value, entityRules, input, principal, valueCheck, entityAudit);
    }
    if (onValues === undefined && (audit === undefined || audited?.returns === undefined)) return value;
    if (isList) {
      const items = await Promise.all((value as unknown[]) ?? []);
      const allowed = onValues
        ? await Promise.all(items.map((item) => valueCheck(onValues, item, input, principal)))
        : undefined;
      for (const [index, item] of items.entries()) record(audit, item, allowed?.[index] ?? true, info);
      return allowed ? items.filter((_item, index) => allowed[index]) : items;
    }
    const allowed = onValues === undefined || (await valueCheck(onValues, value, input, principal));
    record(audit, value, allowed, info);
    if (!allowed) throw forbidden();
    return value;
  };

  if (onValues === undefined && !entityRules && !audited && fieldRules.policies.length === 0) {
    // Only a principal and scopes to check: no await, so a guarded scalar stays a plain value (a page of
    // patients has hundreds of them, and a promise each is what made lists slow).
    field.resolve = (parent, args, context, info) => {
      const principal = (context as { principal?: Principal }).principal;
      if (!hasScopes(fieldRules, principal, context)) throw forbidden();
      return resolve(parent, args, context, info);
    };
    return;
  }
  field.resolve = async (parent, args, context, info) => {
    const principal = (context as { principal?: Principal }).principal;
    const audit = audited && (context as { audit?: RequestAudit }).audit;
    const input = { args, context, field: info.fieldName };
    if (!isEmpty(fieldRules) && !(await check(fieldRules, principal, { ...input, value: parent }))) {
      if (audit && audited?.denial) await recordDenial(audit, audited.denial, parent, args, context, info);
      throw forbidden();
    }
    if (audit === undefined || !audited?.writes)
      return guard(await resolve(parent, args, context, info), input, principal, audit, info);
    audit.beginWrite(info);
    let succeeded = false;
    try {
      const value = await guard(await resolve(parent, args, context, info), input, principal, audit, info);
      succeeded = true;
      return value;
    } finally {
      audit.endWrite(succeeded);
    }
  };
}

/** The policy-free part of a check: a principal (else why there is none) and one of the scope sets. */
function hasScopes(rules: Rules, principal: Principal | undefined, context: unknown): boolean {
  if (principal === undefined) {
    if (rules.authenticated || rules.scopes.length > 0) throw noPrincipal(context);
    return true;
  }
  return rules.scopes.length === 0 || rules.scopes.some((all) => all.every((s) => principal.scopes.has(s)));
}

/** `_entities`: each entity checked against its own type's rules; a denied one is FORBIDDEN at its index. */
async function guardEntities(
  value: unknown,
  typeRules: Map<string, Rules>,
  input: Omit<PolicyInput, 'value'>,
  principal: Principal | undefined,
  valueCheck: (
    rules: Rules,
    value: unknown,
    input: Omit<PolicyInput, 'value'>,
    principal?: Principal,
  ) => Promise<boolean>,
  audited?: { audit: RequestAudit; types: ReadonlyMap<string, PatientOf>; info: GraphQLResolveInfo },
): Promise<unknown[]> {
  const entities = await Promise.all((value as unknown[]) ?? []);
  return entities.map((entity) => {
    const typename = (entity as { __typename?: string } | null)?.__typename;
    const rules = typename === undefined ? undefined : typeRules.get(typename);
    const patientOf = typename === undefined ? undefined : audited?.types.get(typename);
    const patientId = patientOf === undefined || entity === null ? null : patientIdOf(patientOf(entity));
    const record = (allowed: boolean) => {
      if (patientId === null || audited === undefined) return;
      if (allowed) audited.audit.allowed(typename as string, patientId, audited.info);
      else audited.audit.deniedObject(typename as string, patientId, audited.info);
    };
    if (rules === undefined || entity === null) {
      record(true);
      return entity;
    }
    return valueCheck(rules, entity, input, principal).then((allowed) => {
      record(allowed);
      return allowed ? entity : Promise.reject(forbidden());
    });
  });
}

function directivesOf(node: { directives?: readonly ConstDirectiveNode[] } | null | undefined) {
  return node?.directives ?? [];
}

function rulesOf(directives: readonly ConstDirectiveNode[]): Rules {
  const rules: Rules = { ...none, scopes: [], policies: [] };
  for (const directive of directives) {
    const name = directive.name.value;
    if (name === 'authenticated') rules.authenticated = true;
    else if (name === 'requiresScopes') rules.scopes.push(...listsOf(directive, 'scopes'));
    else if (name === 'policy') rules.policies.push(...listsOf(directive, 'policies'));
  }
  return rules;
}

function listsOf(directive: ConstDirectiveNode, argument: string): string[][] {
  const value = directive.arguments?.find((arg) => arg.name.value === argument)?.value;
  const strings = (node: ValueNode): string[] =>
    node.kind === Kind.LIST ? node.values.flatMap(strings) : node.kind === Kind.STRING ? [node.value] : [];
  if (value?.kind !== Kind.LIST) return [];
  return value.values.map(strings);
}

function assertKnown(rules: Rules, policies: Policies<never>, where: string): void {
  for (const name of rules.policies.flat())
    if (!(name in policies))
      throw new Error(`${where} names policy "${name}", which the subgraph does not define`);
}
