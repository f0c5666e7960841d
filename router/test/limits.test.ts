import { composeServices } from '@apollo/composition';
import { type GraphQLResponse, graphqlPost } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import type { Router } from '../src/router.ts';
import { serveSubgraph, startTestRouter, type TestSubgraph } from './test-subgraphs.ts';

// One subgraph with a paged list, so fan-out follows `first`, and a nested field for depth.
const sdl = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Ward @key(fields: "id") { id: ID! name: String! beds(first: Int = 10): [Bed!]! parent: Ward }
  type Bed { id: ID! label: String! }
  type Query { wards(first: Int = 20): [Ward!]! ward(id: ID!): Ward }`;

const ward = (id: string) => ({ id, name: `Ward ${id}`, parent: null });
const resolvers = {
  Query: {
    wards: (_: unknown, { first }: { first: number }) =>
      Array.from({ length: first }, (_unused, i) => ward(String(i))),
    ward: (_: unknown, { id }: { id: string }) => ward(id),
  },
  Ward: {
    __resolveReference: ({ id }: { id: string }) => ward(id),
    beds: ({ id }: { id: string }, { first }: { first: number }) =>
      Array.from({ length: first }, (_unused, i) => ({ id: `${id}-${i}`, label: `Bed ${i}` })),
  },
};

function composeWards(url: string): string {
  const result = composeServices([{ name: 'wards', url, typeDefs: parse(sdl) }]);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

const aliases = (count: number, selection: string) =>
  `query Many { ${Array.from({ length: count }, (_unused, i) => `a${i}: ${selection}`).join(' ')} }`;

describe('operation limits at the router', () => {
  let wards: TestSubgraph;
  let router: Router;
  let graphql: string;

  beforeAll(async () => {
    wards = await serveSubgraph('wards', sdl, resolvers);
    ({ router, base: graphql } = await startTestRouter([wards], {
      supergraphSdl: composeWards(wards.url),
      limits: { maxDepth: 4, maxCost: 2000 },
    }));
    graphql = `${graphql}/graphql`;
  });
  afterAll(async () => {
    await router.stop();
    await wards.stop();
  });

  const refusal = async (query: string, variables?: Record<string, unknown>, operationName?: string) => {
    wards.received.length = 0;
    const response = await fetch(graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables, operationName }),
    });
    const body = (await response.json()) as GraphQLResponse;
    expect(wards.received).toHaveLength(0); // refused before planning: no subgraph was asked
    return { status: response.status, errors: body.errors ?? [], data: body.data };
  };

  it('refuses the 10,000-alias query unread: its body is over the limit', async () => {
    const query = aliases(
      10_000,
      'appointments(first: 1) { edges { node { id patient { name { text } } } } }',
    );
    const { status, errors } = await refusal(query);
    expect(status).toBe(413);
    expect(errors).toEqual([
      expect.objectContaining({ extensions: { code: 'PAYLOAD_TOO_LARGE', retriable: false } }),
    ]);
  });

  it('refuses a document of too many tokens while parsing, before validation', async () => {
    const query = aliases(2_000, 'wards(first: 1) { beds { id } }');
    expect(query.length).toBeGreaterThan(50_000);
    const { status, errors } = await refusal(query);
    expect(status).toBe(400);
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'The operation has more than 3000 tokens',
        extensions: { code: 'TOKEN_LIMIT_EXCEEDED', retriable: false, limit: 3000 },
      }),
    ]);
  });

  it('refuses more aliases than allowed, naming the limit', async () => {
    const { status, errors } = await refusal(aliases(31, 'ward(id: "1") { id }'));
    expect(status).toBe(400);
    expect(errors.map((error) => error.extensions?.code)).toContain('ALIAS_LIMIT_EXCEEDED');
    expect(errors.find((error) => error.extensions?.code === 'ALIAS_LIMIT_EXCEEDED')?.extensions?.limit).toBe(
      30,
    );
  });

  it('refuses too many root fields, through fragments too', async () => {
    const fields = Array.from({ length: 11 }, (_unused, i) => `w${i}: ward(id: "${i}") { id }`).join(' ');
    const { status, body } = await graphqlPost(
      graphql,
      `query Roots { ...More ${fields} } fragment More on Query { m1: ward(id: "x") { id } m2: __typename }`,
    );
    // 11 + 2 aliases under 30, 13 root fields under 20: accepted; 23 root fields are not.
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const twice = `query Roots { ${fields} ${fields.replaceAll(/w(\d+):/g, 'v$1:')} __typename }`;
    const refused = await refusal(twice);
    expect(refused.status).toBe(400);
    expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['ROOT_FIELD_LIMIT_EXCEEDED']);
  });

  it('refuses an operation nested deeper than the limit, and serves one at the limit', async () => {
    const atLimit = await graphqlPost(graphql, 'query D { ward(id: "1") { parent { parent { id } } } }');
    expect(atLimit.status).toBe(200);
    const { status, errors } = await refusal(
      'query D { ward(id: "1") { parent { parent { parent { id } } } } }',
    );
    expect(status).toBe(400);
    expect(errors).toEqual([
      expect.objectContaining({ extensions: { code: 'DEPTH_LIMIT_EXCEEDED', retriable: false, limit: 4 } }),
    ]);
  });

  it('estimates fan-out from first arguments, variables and defaults included', async () => {
    // 20 wards × (1 + 10 beds × 2 fields) ≈ 440: served.
    const served = await graphqlPost(graphql, 'query Fan { wards { name beds { id label } } }');
    expect(served.status).toBe(200);
    expect((served.body.data as { wards: unknown[] }).wards).toHaveLength(20);
    // 100 wards × 100 beds: refused before any subgraph is asked.
    const { status, errors } = await refusal(
      'query Fan($wards: Int, $beds: Int) { wards(first: $wards) { beds(first: $beds) { id } } }',
      { wards: 100, beds: 100 },
    );
    expect(status).toBe(400);
    expect(errors).toEqual([
      expect.objectContaining({ extensions: { code: 'COST_LIMIT_EXCEEDED', retriable: false, limit: 2000 } }),
    ]);
  });

  it('estimates each request with its own page sizes and @include, the same document again and again', async () => {
    const query =
      'query Paged($wards: Int, $beds: Int, $withBeds: Boolean!, $name: ID!) { wards(first: $wards) { name @include(if: $withBeds) beds(first: $beds) @include(if: $withBeds) { id label } } ward(id: $name) { id } }';
    const ask = (variables: Record<string, unknown>) =>
      fetch(graphql, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      }).then((response) => response.status);
    // Alternating between a cheap and a costly reading: a remembered cost must never answer for the other.
    for (let round = 0; round < 3; round++) {
      expect(await ask({ wards: 5, beds: 5, withBeds: true, name: `w${round}` })).toBe(200);
      expect(await ask({ wards: 100, beds: 100, withBeds: true, name: `w${round}` })).toBe(400);
      expect(await ask({ wards: 100, beds: 100, withBeds: false, name: `w${round}` })).toBe(200);
    }
  });

  it('answers 400 for an operationName the document does not have', async () => {
    const { status, errors } = await refusal('query Known { __typename }', {}, 'Unknown');
    expect(status).toBe(400);
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'The document has no operation named "Unknown"',
        extensions: { code: 'OPERATION_RESOLUTION_FAILURE', retriable: false },
      }),
    ]);
    const several = await refusal('query A { __typename } query B { __typename }');
    expect(several.status).toBe(400);
    expect(several.errors[0]?.extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
  });
});
