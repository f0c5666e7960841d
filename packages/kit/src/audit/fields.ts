import {
  type FieldNode,
  GraphQLIncludeDirective,
  type GraphQLResolveInfo,
  GraphQLSkipDirective,
  getDirectiveValues,
  isAbstractType,
  isObjectType,
  Kind,
  type SelectionNode,
} from 'graphql';

type SelectionInfo = Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments' | 'variableValues' | 'schema'>;

/** Whether `@skip` / `@include` leave the selection in (as the executor decides, from the same variables). */
function isIncluded(node: SelectionNode, variables: Record<string, unknown>): boolean {
  if (!node.directives || node.directives.length === 0) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/** Whether a fragment with this type condition applies to an object of `typeName`. */
function applies(info: SelectionInfo, condition: string | undefined, typeName: string): boolean {
  if (condition === undefined || condition === typeName) return true;
  const conditionType = info.schema.getType(condition);
  const objectType = info.schema.getType(typeName);
  return (
    conditionType !== undefined &&
    isAbstractType(conditionType) &&
    isObjectType(objectType) &&
    info.schema.isSubType(conditionType, objectType)
  );
}

/**
 * The top-level fields a field's selection asks of an object of `typeName`, as `Type.field`: through
 * fragments whose condition applies, without `__typename` and without what `@skip`/`@include` leave out.
 * Deeper selections are the nested objects' own (an audited one records them itself).
 */
export function selectedFields(info: SelectionInfo, typeName: string): string[] {
  const names = new Set<string>();
  const visitedFragments = new Set<string>();
  const visit = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      if (!isIncluded(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) {
        if (!selection.name.value.startsWith('__')) names.add(`${typeName}.${selection.name.value}`);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(info, selection.typeCondition?.name.value, typeName))
          visit(selection.selectionSet.selections);
      } else {
        const name = selection.name.value;
        const fragment = info.fragments[name];
        if (fragment === undefined || visitedFragments.has(name)) continue;
        visitedFragments.add(name);
        if (applies(info, fragment.typeCondition.name.value, typeName))
          visit(fragment.selectionSet.selections);
      }
    }
  };
  for (const node of info.fieldNodes as readonly FieldNode[])
    if (node.selectionSet) visit(node.selectionSet.selections);
  return [...names];
}

/**
 * The names of the operation's root fields by response key (an alias, or the field's name), through
 * top-level fragments too: which root field an object deep in the answer came from.
 */
export function rootFieldsByKey(
  info: Pick<GraphQLResolveInfo, 'operation' | 'fragments'>,
): Map<string, string> {
  const byKey = new Map<string, string>();
  const visit = (selections: readonly SelectionNode[], seen: Set<string>) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD)
        byKey.set(selection.alias?.value ?? selection.name.value, selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet.selections, seen);
      else {
        const fragment = info.fragments[selection.name.value];
        if (fragment === undefined || seen.has(selection.name.value)) continue;
        seen.add(selection.name.value);
        visit(fragment.selectionSet.selections, seen);
      }
    }
  };
  visit(info.operation.selectionSet.selections, new Set());
  return byKey;
}
