import {
  type ConstDirectiveNode,
  defaultFieldResolver,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type ValueNode,
} from 'graphql';
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
 */
export function enforceAccessRules<Context extends { principal?: Principal | undefined }>(
  schema: GraphQLSchema,
  policies: Policies<Context> = {},
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
      const onValues = field.name === '_entities' ? undefined : typeRules.get(returned.name);
      if (isEmpty(fieldRules) && onValues === undefined && field.name !== '_entities') continue;
      wrap(field, fieldRules, onValues, field.name === '_entities' ? typeRules : undefined, check);
    }
  }
  return schema;
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
): void {
  const resolve = field.resolve ?? defaultFieldResolver;
  const valueCheck = async (
    rules: Rules,
    value: unknown,
    input: Omit<PolicyInput, 'value'>,
    principal?: Principal,
  ) => value === null || value === undefined || (await check(rules, principal, { ...input, value }));

  field.resolve = async (parent, args, context, info) => {
    const principal = (context as { principal?: Principal }).principal;
    const input = { args, context, field: info.fieldName };
    if (!isEmpty(fieldRules) && !(await check(fieldRules, principal, { ...input, value: parent })))
      throw forbidden();
    const value = await resolve(parent, args, context, info);
    if (entityRules) return guardEntities(value, entityRules, input, principal, valueCheck);
    if (onValues === undefined) return value;
    if (isListType(isNonNullType(field.type) ? field.type.ofType : field.type)) {
      const items = await Promise.all((value as unknown[]) ?? []);
      const allowed = await Promise.all(items.map((item) => valueCheck(onValues, item, input, principal)));
      return items.filter((_item, index) => allowed[index]);
    }
    if (!(await valueCheck(onValues, value, input, principal))) throw forbidden();
    return value;
  };
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
): Promise<unknown[]> {
  const entities = await Promise.all((value as unknown[]) ?? []);
  return entities.map((entity) => {
    const typename = (entity as { __typename?: string } | null)?.__typename;
    const rules = typename === undefined ? undefined : typeRules.get(typename);
    if (rules === undefined || entity === null) return entity;
    return valueCheck(rules, entity, input, principal).then((allowed) =>
      allowed ? entity : Promise.reject(forbidden()),
    );
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
