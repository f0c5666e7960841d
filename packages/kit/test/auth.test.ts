import { createTestKeys, sharedTestKeys, type TokenRequest } from '@hsg/testing';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import type { Principal } from '../src/auth/index.ts';
import { silentLogger } from '../src/index.ts';
import { createSubgraphServer, type EngineName, type RequestContext } from '../src/runtime/index.ts';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7",
    import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
  "A record a PATIENT may see only when it is theirs."
  type Record @key(fields: "id") @policy(policies: [["own.record"]]) {
    id: ID!
    owner: String!
    secret: String @requiresScopes(scopes: [["patients:write"]])
  }
  type Query { record(id: ID!): Record  records: [Record!]!  open: String }
  type Mutation { touch(id: ID!): Record @policy(policies: [["may.touch"]]) }
`);

const records = [
  { id: 'r1', owner: 'p1', secret: 's1' },
  { id: 'r2', owner: 'p2', secret: 's2' },
];
let touched = 0;
const resolvers = {
  Query: {
    record: (_: unknown, { id }: { id: string }) => records.find((record) => record.id === id) ?? null,
    records: () => records,
    open: () => 'open',
  },
  Mutation: {
    touch: (_: unknown, { id }: { id: string }) => {
      touched += 1;
      return records.find((record) => record.id === id) ?? null;
    },
  },
  Record: {
    __resolveReference: ({ id }: { id: string }) => records.find((record) => record.id === id) ?? null,
  },
};

const ownsOrFrontDesk = (principal: Principal, owner: unknown) =>
  principal.role === 'FRONT_DESK' || principal.patientId === owner;
const policies = {
  'own.record': ({ principal, value }: { principal: Principal; value: unknown }) =>
    ownsOrFrontDesk(principal, (value as { owner: string }).owner),
  'may.touch': ({ principal, args }: { principal: Principal; args: Record<string, unknown> }) =>
    ownsOrFrontDesk(principal, records.find((record) => record.id === args.id)?.owner),
};

async function serve(engine: EngineName) {
  const keys = await sharedTestKeys();
  const server = createSubgraphServer<RequestContext>({
    engine,
    typeDefs,
    resolvers,
    context: () => ({}),
    logger: silentLogger(),
    auth: { jwks: keys.jwks },
    policies,
  });
  const port = await server.start(0);
  const post = async (query: string, variables: Record<string, unknown> = {}, headers = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: Array<{ message: string; path?: unknown[]; extensions?: { code?: string } }>;
    };
  };
  const as = async (request: TokenRequest, query: string, variables?: Record<string, unknown>) =>
    post(query, variables, await keys.headersFor(request));
  return { post, as, stop: () => server.stop() };
}

const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) =>
  (body.errors ?? []).map((error) => error.extensions?.code);

describe.each(['apollo', 'mercurius'] as const)('access rules on %s', (engine) => {
  it('needs a valid token for every root field, and says why a token was refused', async () => {
    const { post, as, stop } = await serve(engine);
    try {
      expect(await post('{ __typename }')).toEqual({ data: { __typename: 'Query' } });
      expect(codes(await post('{ open }'))).toEqual(['UNAUTHENTICATED']);
      const expired = await as({ role: 'FRONT_DESK', expiresIn: -60 }, '{ open }');
      expect(expired.errors?.[0]).toMatchObject({
        message: 'The access token has expired',
        extensions: { code: 'UNAUTHENTICATED' },
      });
      const stranger = await createTestKeys('another-key');
      const forged = await post('{ open }', {}, await stranger.headersFor({ role: 'ADMIN' }));
      expect(forged.errors?.[0]).toMatchObject({
        message: 'The access token is not valid',
        extensions: { code: 'UNAUTHENTICATED' },
      });
      expect(forged.data).toEqual({ open: null });
      const malformed = await post('{ open }', {}, { authorization: 'Basic YWRtaW46YWRtaW4=' });
      expect(codes(malformed)).toEqual(['UNAUTHENTICATED']);
      expect(await as({ role: 'PATIENT', patientId: 'p1' }, '{ open }')).toEqual({ data: { open: 'open' } });
    } finally {
      await stop();
    }
  });

  it("denies another patient's record by field, leaving the rest, and filters a list", async () => {
    const { as, stop } = await serve(engine);
    try {
      const patient = { role: 'PATIENT', patientId: 'p1' } as const;
      const both = await as(patient, '{ mine: record(id: "r1") { id } theirs: record(id: "r2") { id } }');
      expect(both.data).toEqual({ mine: { id: 'r1' }, theirs: null });
      expect(both.errors).toEqual([
        expect.objectContaining({
          path: ['theirs'],
          extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
        }),
      ]);
      expect((await as(patient, '{ records { id } }')).data).toEqual({ records: [{ id: 'r1' }] });
      const all = await as({ role: 'FRONT_DESK' }, '{ records { id secret } }');
      expect(all.data).toEqual({
        records: [
          { id: 'r1', secret: 's1' },
          { id: 'r2', secret: 's2' },
        ],
      });
      const scoped = await as(patient, '{ record(id: "r1") { id secret } }');
      expect(scoped.data).toEqual({ record: { id: 'r1', secret: null } });
      expect(scoped.errors?.[0]).toMatchObject({
        path: ['record', 'secret'],
        extensions: { code: 'FORBIDDEN' },
      });
    } finally {
      await stop();
    }
  });

  it('refuses a mutation before it runs, and an entity the router asks for by reference', async () => {
    const { as, stop } = await serve(engine);
    try {
      const patient = { role: 'PATIENT', patientId: 'p1' } as const;
      const before = touched;
      const refused = await as(patient, 'mutation { touch(id: "r2") { id } }');
      expect(codes(refused)).toEqual(['FORBIDDEN']);
      expect(touched).toBe(before);
      expect((await as(patient, 'mutation { touch(id: "r1") { id } }')).data).toEqual({
        touch: { id: 'r1' },
      });
      const entities = await as(
        patient,
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Record { id owner } } }',
        {
          r: [
            { __typename: 'Record', id: 'r1' },
            { __typename: 'Record', id: 'r2' },
          ],
        },
      );
      expect(entities.data).toEqual({ _entities: [{ id: 'r1', owner: 'p1' }, null] });
      expect(entities.errors?.[0]).toMatchObject({
        path: ['_entities', 1],
        extensions: { code: 'FORBIDDEN' },
      });
      const anonymous = await as(
        { role: 'PATIENT', patientId: 'p1', expiresIn: -60 },
        '{ _service { sdl } }',
      );
      expect(anonymous.errors).toBeUndefined(); // the SDL is no secret: the router may read it like introspection
    } finally {
      await stop();
    }
  });
});

describe('enforceAccessRules', () => {
  it('refuses a schema naming a policy the subgraph does not define', async () => {
    const keys = await sharedTestKeys();
    expect(() =>
      createSubgraphServer<RequestContext>({
        engine: 'apollo',
        typeDefs,
        resolvers,
        context: () => ({}),
        logger: silentLogger(),
        auth: { jwks: keys.jwks },
        policies: { 'own.record': () => true },
      }),
    ).toThrow(/Mutation.touch names policy "may.touch"/);
  });
});
