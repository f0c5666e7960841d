import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  GraphQLIncludeDirective,
  type GraphQLSchema,
  GraphQLSkipDirective,
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import type { LiveField } from './fields.ts';

/** The variable the resolution query reads the changed entity's id from. */
export const entityIdVariable = 'liveEntityId';
/** Reads the entity whatever the selection is: its absence means the subscriber may not see it. */
const probeKey = 'liveVisibilityProbe';

/**
 * How one subscription's events are answered: `query` (with `variables` and the entity id) through the
 * gateway with the subscriber's token, then `shape` turns its result into the subscription's result.
 */
export interface ResolutionPlan {
  field: LiveField;
  /** The subscription field's arguments, coerced. */
  args: Record<string, unknown>;
  query: string;
  variables: Record<string, unknown>;
  /** null when the subscriber may not see this entity: the event is not theirs. */
  shape(
    data: Record<string, unknown> | null | undefined,
    answers: Record<string, unknown>,
  ): Record<string, unknown> | null;
}

/**
 * Plans a validated subscription operation on one of the live fields: its selection becomes a query on
 * the entity (`observation(id:)`, `appointment(id:)`), with the fragments and variables it uses, so the
 * subgraphs apply their rules to that subscriber for every event. A wrapper's own fields (kind, …) come
 * from the event.
 */
export function planSubscription(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
  fields: readonly LiveField[],
): ResolutionPlan {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'subscription') throw new GraphQLError('Expected a subscription operation');
  const [root] = collect(operation.selectionSet, fragmentsOf(document), variables);
  const rootNode = root?.[1][0];
  const field = fields.find((candidate) => candidate.name === rootNode?.name.value);
  const rootDefinition = schema.getSubscriptionType()?.getFields()[rootNode?.name.value ?? ''];
  if (!root || !rootNode || !field || !rootDefinition)
    throw new GraphQLError(`Subscriptions offered: ${fields.map((f) => f.name).join(', ')}`);
  const [rootKey] = root;
  const args = getArgumentValues(rootDefinition, rootNode, coercedVariables(schema, operation, variables));

  const idArgument = `(id: $${entityIdVariable})`;
  let selections: string[];
  let order: Array<{ key: string; fromEvent?: string }> = [];
  if (field.wrapper) {
    const fragments = fragmentsOf(document);
    const byKey = collect(rootNode.selectionSet as SelectionSetNode, fragments, variables);
    selections = [`${probeKey}: ${field.entityQuery}${idArgument} { __typename }`];
    order = byKey.map(([key, nodes]) => {
      const name = nodes[0]?.name.value as string;
      if (name !== field.wrapper?.entityField) return { key, fromEvent: name };
      const merged = nodes.flatMap((node) => node.selectionSet?.selections ?? []).map((s) => print(s));
      selections.push(`${key}: ${field.entityQuery}${idArgument} { ${merged.join(' ')} }`);
      return { key };
    });
  } else {
    selections = [
      `${rootKey}: ${field.entityQuery}${idArgument} ${print(rootNode.selectionSet as SelectionSetNode)}`,
    ];
  }

  const body = `{ ${selections.join(' ')} }`;
  const used = namesUsed(body);
  const fragments = usedFragments(body, fragmentsOf(document));
  const definitions = (operation.variableDefinitions ?? []).filter((definition) =>
    used.variables.has(definition.variable.name.value),
  );
  const query = [
    `query LiveResolution($${entityIdVariable}: ID!${definitions.map((d) => `, ${print(d)}`).join('')}) ${body}`,
    ...fragments.map((fragment) => print(fragment)),
  ].join('\n');
  const usedValues = Object.fromEntries(
    definitions
      .map((definition) => definition.variable.name.value)
      .filter((name) => name in variables)
      .map((name) => [name, variables[name]]),
  );

  return {
    field,
    args,
    query,
    variables: usedValues,
    shape(data, answers) {
      if (!data) return null;
      if (!field.wrapper) return data[rootKey] ? { [rootKey]: data[rootKey] } : null;
      if (!data[probeKey]) return null;
      const change: Record<string, unknown> = {};
      for (const { key, fromEvent } of order)
        change[key] = fromEvent === undefined ? data[key] : (answers[fromEvent] ?? null);
      return { [rootKey]: change };
    },
  };
}

const fragmentsOf = (document: DocumentNode) =>
  new Map(
    document.definitions
      .filter(
        (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION,
      )
      .map((fragment) => [fragment.name.value, fragment]),
  );

/** The fields of a selection set by response key, fragments flattened, @skip/@include applied (one level). */
function collect(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  into = new Map<string, FieldNode[]>(),
  visited = new Set<string>(),
): Array<[string, FieldNode[]]> {
  for (const selection of selectionSet.selections) {
    if (!included(selection, variables)) continue;
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      into.set(key, [...(into.get(key) ?? []), selection]);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collect(selection.selectionSet, fragments, variables, into, visited);
    } else if (!visited.has(selection.name.value)) {
      visited.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) collect(fragment.selectionSet, fragments, variables, into, visited);
    }
  }
  return [...into];
}

function included(selection: SelectionNode, variables: Record<string, unknown>): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if !== false;
}

/** Variables coerced as the operation declares them, defaults filled in (what argument values need). */
function coercedVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw coerced.errors[0];
  return coerced.coerced;
}

const parseSelection = (body: string): DocumentNode => parse(body);

function namesUsed(body: string) {
  const variables = new Set<string>();
  visit(parseSelection(body), {
    Variable(node) {
      variables.add(node.name.value);
    },
  });
  return { variables };
}

function usedFragments(
  body: string,
  fragments: Map<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending = [parseSelection(body) as DocumentNode | FragmentDefinitionNode];
  while (pending.length > 0) {
    visit(pending.pop() as DocumentNode, {
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment && !used.has(node.name.value)) {
          used.set(node.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...used.values()];
}
