import { expect } from '@jest/globals';
import { dataOf, errorCode, type GraphQLResponse } from '../graphql.ts';

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse>;

/** A connection field refuses a page size outside 1..100 and a cursor it did not issue, naming the argument. */
export async function expectPagingRules(gql: Gql, connection: string): Promise<void> {
  for (const first of [0, 101]) {
    const response = await gql(`query ($first: Int!) { ${connection}(first: $first) { totalCount } }`, {
      first,
    });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toContain('first');
  }
  const badCursor = await gql(`{ ${connection}(after: "garbage") { totalCount } }`);
  expect(errorCode(badCursor)).toBe('BAD_USER_INPUT');
  expect(badCursor.errors?.[0]?.message).toContain('after');
}

/**
 * `_entities` for 1 and for all of `ids` resolves each, in order, with exactly one store call per request
 * (`storeCalls()` reads the count of the store method the entity's loader batches into).
 */
export async function expectBatchedReferences(
  gql: Gql,
  typename: string,
  ids: string[],
  storeCalls: () => number,
): Promise<void> {
  for (const count of [1, ids.length]) {
    const before = storeCalls();
    const response = await gql(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { id } } }`,
      { r: ids.slice(0, count).map((id) => ({ __typename: typename, id })) },
    );
    const entities = dataOf<Array<{ id: string }>>(response, '_entities');
    expect(entities.map((entity) => entity.id)).toEqual(ids.slice(0, count));
    expect(storeCalls() - before).toBe(1);
  }
}
