import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { type GraphQLResolveInfo, GraphQLScalarType } from 'graphql';
import { badUserInput } from '../errors.ts';

/** Bounds on every argument of every operation a subgraph serves; a field may check tighter ones itself. */
export interface InputLimits {
  /** Longest string, in characters. */
  maxStringLength: number;
  /** Most items in one list. */
  maxListItems: number;
}

export const defaultInputLimits: InputLimits = { maxStringLength: 1000, maxListItems: 100 };

/**
 * Characters no input of this graph carries: C0 controls other than tab, line feed and carriage return
 * (NUL among them, which Postgres refuses), DEL, and the bidirectional embedding, override and isolate
 * controls that make text display differently from what it stores.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const forbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/u;

/** Throws BAD_USER_INPUT naming the first argument (as a path, e.g. input.name.given[2]) over a limit. */
export function assertCleanInput(value: unknown, path: string, limits: InputLimits): void {
  if (typeof value === 'string') {
    if (value.length > limits.maxStringLength)
      throw badUserInput(`${path} must be at most ${limits.maxStringLength} characters`, path);
    if (forbidden.test(value)) throw badUserInput(`${path} must not contain control characters`, path);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length > limits.maxListItems)
      throw badUserInput(`${path} must have at most ${limits.maxListItems} items`, path);
    value.forEach((item, index) => {
      assertCleanInput(item, `${path}[${index}]`, limits);
    });
    return;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value))
      assertCleanInput(item, path ? `${path}.${key}` : key, limits);
  }
}

type Resolver = (
  parent: unknown,
  args: Record<string, unknown>,
  context: unknown,
  info: GraphQLResolveInfo,
) => unknown;

/** Federation's own hooks take representations, not client arguments. */
const hooks = new Set(['__resolveReference', '__resolveType', '__isTypeOf']);

/**
 * Every resolver of the map, checking its arguments first: one place for the whole graph's string and list
 * bounds, whichever engine serves it. Scalars and enums pass through unchanged.
 */
export function withStrictInput<Context>(
  resolvers: GraphQLResolverMap<Context>,
  limits: InputLimits = defaultInputLimits,
): GraphQLResolverMap<Context> {
  const checked = (resolve: Resolver): Resolver =>
    function strict(parent, args, context, info) {
      for (const [name, value] of Object.entries(args ?? {})) assertCleanInput(value, name, limits);
      return resolve(parent, args, context, info);
    };
  return Object.fromEntries(
    Object.entries(resolvers).map(([typeName, fields]) => {
      if (fields instanceof GraphQLScalarType || typeof fields !== 'object' || fields === null)
        return [typeName, fields];
      const wrapped = Object.fromEntries(
        Object.entries(fields as Record<string, unknown>).map(([field, resolver]) => {
          if (hooks.has(field)) return [field, resolver];
          if (typeof resolver === 'function') return [field, checked(resolver as Resolver)];
          const withResolve = resolver as { resolve?: unknown } | null;
          if (withResolve && typeof withResolve.resolve === 'function')
            return [field, { ...withResolve, resolve: checked(withResolve.resolve as Resolver) }];
          return [field, resolver]; // an enum value, or a field without a resolver of its own
        }),
      );
      return [typeName, wrapped];
    }),
  ) as GraphQLResolverMap<Context>;
}
