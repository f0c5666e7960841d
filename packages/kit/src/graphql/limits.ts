import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  getNullableType,
  isListType,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { z } from 'zod';

/**
 * How much one operation may ask for. Checked before anything runs: tokens while parsing, the shape during
 * validation, the fan-out once the variables are known. Each limit has its own stable code.
 */
export interface OperationLimits {
  /** Lexical tokens in the document; stops the parser early, before a huge document costs anything else. */
  maxTokens: number;
  /** Nesting of selections (fragments count as they expand). */
  maxDepth: number;
  /** Aliased fields in the operation (`__typename` aliases are free). */
  maxAliases: number;
  /** Top-level fields of the operation (through fragments on the root type too). */
  maxRootFields: number;
  /** Directives in the operation. */
  maxDirectives: number;
  /**
   * Estimated fan-out: every field costs 1, and a list field multiplies what is under it by its `first`
   * (or `last`) argument, its default, or `assumedListSize` when it has none.
   */
  maxCost: number;
  /** What a list without a page size counts as (a patient's names, a doctor's specialties). */
  assumedListSize: number;
}

/** The router's: a clinic's screens ask for far less; anything beyond is a mistake or an attack. */
export const routerLimitDefaults: OperationLimits = {
  maxTokens: 3000,
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxDirectives: 50,
  maxCost: 25_000,
  assumedListSize: 5,
};

/**
 * A subgraph's, looser than the router's (whose query plans add `_entities` and fragment levels), for the
 * caller that skips the router.
 */
export const subgraphLimitDefaults: OperationLimits = {
  ...routerLimitDefaults,
  maxTokens: 10_000,
  maxDepth: 16,
  maxAliases: 100,
  maxRootFields: 50,
  maxDirectives: 100,
};

export const limitCodes = {
  maxTokens: 'TOKEN_LIMIT_EXCEEDED',
  maxDepth: 'DEPTH_LIMIT_EXCEEDED',
  maxAliases: 'ALIAS_LIMIT_EXCEEDED',
  maxRootFields: 'ROOT_FIELD_LIMIT_EXCEEDED',
  maxDirectives: 'DIRECTIVE_LIMIT_EXCEEDED',
  maxCost: 'COST_LIMIT_EXCEEDED',
} as const satisfies Record<Exclude<keyof OperationLimits, 'assumedListSize'>, string>;

export type LimitCode = (typeof limitCodes)[keyof typeof limitCodes];

/** An operation over one of its limits: HTTP 400, never retriable, the code naming the limit. */
export class OperationLimitError extends GraphQLError {
  readonly code: LimitCode;

  constructor(code: LimitCode, message: string, limit: number) {
    super(message, { extensions: { code, retriable: false, limit, http: { status: 400 } } });
    this.code = code;
  }
}

export function isOperationLimitError(error: unknown): error is OperationLimitError {
  return error instanceof OperationLimitError;
}

/** The parser aborts at this many tokens; graphql-js words it as a syntax error, which this recognises. */
export const parseOptionsFor = (limits: Pick<OperationLimits, 'maxTokens'>) => ({
  maxTokens: limits.maxTokens,
});

// graphql-js 16 words it "more that"; a later version may fix the typo.
const tokenLimitMessage = /^Syntax Error: Document contains more (?:that|than) (\d+) tokens/;

/** The limit error for a parse that stopped at maxTokens, or undefined for any other syntax error. */
export function tokenLimitErrorOf(message: string): OperationLimitError | undefined {
  const match = tokenLimitMessage.exec(message);
  if (!match) return undefined;
  const limit = Number(match[1]);
  return new OperationLimitError(limitCodes.maxTokens, `The operation has more than ${limit} tokens`, limit);
}

/** Validation rules for the shape limits (depth, aliases, root fields, directives). */
export function shapeLimitRules(limits: OperationLimits): ValidationRule[] {
  const report = (code: LimitCode, limit: number) => ({
    propagateOnRejection: false,
    n: limit,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(
          new OperationLimitError(code, error.message.replace(/^Syntax Error: /, ''), limit),
        ),
    ],
  });
  return [
    maxDepthRule({ ...report(limitCodes.maxDepth, limits.maxDepth), ignoreIntrospection: true }),
    maxAliasesRule(report(limitCodes.maxAliases, limits.maxAliases)),
    maxDirectivesRule(report(limitCodes.maxDirectives, limits.maxDirectives)),
    maxRootFieldsRule(limits.maxRootFields),
  ];
}

function maxRootFieldsRule(limit: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const count = countRootFields(context, operation.selectionSet, new Set());
      if (count > limit)
        context.reportError(
          new OperationLimitError(
            limitCodes.maxRootFields,
            `Root field limit of ${limit} exceeded, found ${count}`,
            limit,
          ),
        );
    },
  });
}

function countRootFields(
  context: ValidationContext,
  selections: SelectionSetNode,
  seen: Set<string>,
): number {
  let count = 0;
  for (const selection of selections.selections) {
    if (selection.kind === Kind.FIELD) count += 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      count += countRootFields(context, selection.selectionSet, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) count += countRootFields(context, fragment.selectionSet, seen);
    }
  }
  return count;
}

/**
 * A list field multiplies what it selects by its page size; every field costs one. A connection's `edges`
 * and `nodes` are the page its field already counted.
 */
function fanOutEstimator(assumedListSize: number): ComplexityEstimator {
  return ({ args, field, type, childComplexity }) => {
    const pageSize = [args.first, args.last].find((value) => typeof value === 'number' && value > 0);
    const isPageOfConnection =
      type.name.endsWith('Connection') && (field.name === 'edges' || field.name === 'nodes');
    const isList = !isPageOfConnection && isListType(getNullableType(field.type));
    const size = typeof pageSize === 'number' ? pageSize : isList ? assumedListSize : 1;
    return 1 + size * childComplexity;
  };
}

/**
 * The fan-out check, which needs the variables (`first: $n`), so it runs after validation. Throws the
 * limit error; a document the estimator cannot read (variables of the wrong type) is left to execution.
 */
export function checkOperationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  limits: Pick<OperationLimits, 'maxCost' | 'assumedListSize'>,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
): number {
  const cost = memoizedCost(schema, document, limits.assumedListSize, variables ?? {}, operationName);
  if (cost > limits.maxCost)
    throw new OperationLimitError(
      limitCodes.maxCost,
      `Estimated cost of ${cost} exceeds the limit of ${limits.maxCost}; ask for smaller pages`,
      limits.maxCost,
    );
  return cost;
}

/**
 * Estimating walks the whole operation (a tenth of the router's CPU on a one-field read), yet a document's
 * cost depends only on its page sizes and @skip/@include, which are numbers and booleans. So the cost is
 * kept per parsed document (the engines reuse one per query text) and operation name, keyed by the
 * variables that are numbers, booleans or null: the ids, names and inputs that change from request to
 * request are left out.
 * A document keeps at most `costsPerDocument` of them.
 */
const costs = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number>>>();
const costsPerDocument = 64;

function memoizedCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  assumedListSize: number,
  variables: Record<string, unknown>,
  operationName: string | undefined | null,
): number {
  const key = costKeyOf(assumedListSize, variables, operationName);
  let bySchema = costs.get(schema);
  if (!bySchema) {
    bySchema = new WeakMap();
    costs.set(schema, bySchema);
  }
  let byKey = bySchema.get(document);
  const known = key === undefined ? undefined : byKey?.get(key);
  if (known !== undefined) return known;
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables,
      ...(operationName ? { operationName } : {}),
      estimators: [fanOutEstimator(assumedListSize)],
    });
  } catch {
    cost = 0; // variables of the wrong type: execution refuses them
  }
  if (key !== undefined) {
    if (!byKey) {
      byKey = new Map();
      bySchema.set(document, byKey);
    }
    if (byKey.size >= costsPerDocument) byKey.delete(byKey.keys().next().value as string);
    byKey.set(key, cost);
  }
  return cost;
}

/** What a cost can depend on besides the document: undefined when too large to keep. */
function costKeyOf(
  assumedListSize: number,
  variables: Record<string, unknown>,
  operationName: string | undefined | null,
): string | undefined {
  const relevant: unknown[] = [];
  for (const name of Object.keys(variables).sort()) {
    const value = variables[name];
    // Only a number, a boolean or null can be a page size or an @skip/@include condition: strings (ids,
    // names) and input objects and lists (a batch of lab results) vary per request and never count.
    if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean')
      relevant.push(name, value ?? null);
  }
  const key = JSON.stringify([assumedListSize, operationName ?? null, relevant]);
  return key.length <= 1024 ? key : undefined;
}

const limitVariables = {
  GRAPHQL_MAX_TOKENS: 'maxTokens',
  GRAPHQL_MAX_DEPTH: 'maxDepth',
  GRAPHQL_MAX_ALIASES: 'maxAliases',
  GRAPHQL_MAX_ROOT_FIELDS: 'maxRootFields',
  GRAPHQL_MAX_DIRECTIVES: 'maxDirectives',
  GRAPHQL_MAX_COST: 'maxCost',
} as const satisfies Record<string, keyof OperationLimits>;

type LimitVariable = keyof typeof limitVariables;

/** The env fields that override the limits (GRAPHQL_MAX_DEPTH=…), for a service's env schema. */
export function limitEnvFields(
  defaults: OperationLimits,
): Record<LimitVariable, z.ZodDefault<z.ZodCoercedNumber>> {
  return Object.fromEntries(
    Object.entries(limitVariables).map(([variable, limit]) => [
      variable,
      z.coerce.number().int().min(1).max(1_000_000).default(defaults[limit]),
    ]),
  ) as Record<LimitVariable, z.ZodDefault<z.ZodCoercedNumber>>;
}

/** The limits from a parsed env that has limitEnvFields. */
export function limitsFromEnv(env: Record<string, unknown>, defaults: OperationLimits): OperationLimits {
  const limits = { ...defaults };
  for (const [variable, limit] of Object.entries(limitVariables)) {
    const value = env[variable];
    if (typeof value === 'number') limits[limit] = value;
  }
  return limits;
}
