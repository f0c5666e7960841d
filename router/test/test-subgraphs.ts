// Test support: two tiny Fed 2 subgraphs served in-process, and a supergraph composed from them.
import type { IncomingHttpHeaders } from 'node:http';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { AppError, silentLogger } from '@hsg/kit';
import { apolloRoute, createHttpApp, formatGraphQLError } from '@hsg/kit/http';
import { GraphQLError, GraphQLScalarType, parse } from 'graphql';
import { createRouter, type Router, type RouterDeps } from '../src/router.ts';

const federation = '@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

// "people" owns Person; "visits" adds Person.visits, so a query for both spans the two subgraphs.
const peopleSdl = `
  extend schema ${federation}
  "A day written YYYY-MM-DD; the router passes it through, the subgraph validates it."
  scalar Day
  type Person @key(fields: "id") { id: ID! name: String! }
  type Query {
    person(id: ID!): Person
    bornOn(day: Day!): [Person!]!
    forbidden: String
    broken: String
  }`;

const visitsSdl = `
  extend schema ${federation}
  type Visit { id: ID! reason: String! }
  type Person @key(fields: "id") { id: ID! visits: [Visit!]! }`;

const day = new GraphQLScalarType({
  name: 'Day',
  parseValue(value) {
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
    throw new GraphQLError('Day must be written YYYY-MM-DD', { extensions: { code: 'BAD_USER_INPUT' } });
  },
});

const peopleResolvers = {
  Day: day,
  Query: {
    person: (_: unknown, { id }: { id: string }) => ({ id, name: `Person ${id}` }),
    bornOn: () => [],
    forbidden: () => {
      throw new AppError('FORBIDDEN', 'Not your record');
    },
    broken: () => {
      throw new Error('SELECT * FROM secrets failed');
    },
  },
  Person: { __resolveReference: ({ id }: { id: string }) => ({ id, name: `Person ${id}` }) },
};

const visitsResolvers = {
  Person: {
    __resolveReference: ({ id }: { id: string }) => ({ id }),
    visits: ({ id }: { id: string }) => [{ id: `v-${id}`, reason: 'check-up' }],
  },
};

export interface TestSubgraph {
  name: string;
  url: string;
  /** Headers of every request the subgraph received, oldest first. */
  received: IncomingHttpHeaders[];
  /** TCP connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** One subgraph on a free port: `sdl` built with @apollo/subgraph, errors formatted as the kit formats them. */
export async function serveSubgraph(name: string, sdl: string, resolvers: object): Promise<TestSubgraph> {
  const apollo = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(sdl),
      resolvers: resolvers as GraphQLResolverMap<unknown>,
    }),
    formatError: formatGraphQLError,
    logger: silentLogger(),
  });
  await apollo.start();
  const received: IncomingHttpHeaders[] = [];
  const app = createHttpApp(
    {
      '/graphql': apolloRoute(apollo, async (request) => {
        received.push(request.headers);
        return {};
      }),
    },
    silentLogger(),
  );
  let connections = 0;
  app.server.on('connection', () => connections++);
  const port = await app.listen(0);
  return {
    name,
    url: `http://127.0.0.1:${port}/graphql`,
    received,
    connections: () => connections,
    async stop() {
      await app.close(100);
      await apollo.stop();
    },
  };
}

export async function startTestSubgraphs(): Promise<{ people: TestSubgraph; visits: TestSubgraph }> {
  const [people, visits] = await Promise.all([
    serveSubgraph('people', peopleSdl, peopleResolvers),
    serveSubgraph('visits', visitsSdl, visitsResolvers),
  ]);
  return { people, visits };
}

/** The test supergraph; its routing URLs point nowhere, so tests must pass the real ones as overrides. */
export function composeTestSupergraph(): string {
  const result = composeServices([
    { name: 'people', url: 'http://127.0.0.1:9/graphql', typeDefs: parse(peopleSdl) },
    { name: 'visits', url: 'http://127.0.0.1:9/graphql', typeDefs: parse(visitsSdl) },
  ]);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

/** A router over the test subgraphs on a free port, readiness probed afresh on every /ready. */
export async function startTestRouter(
  subgraphs: TestSubgraph[],
  options: Partial<RouterDeps> = {},
): Promise<{ router: Router; port: number; base: string }> {
  const router = createRouter({
    supergraphSdl: composeTestSupergraph(),
    logger: silentLogger(),
    subgraphUrls: Object.fromEntries(subgraphs.map((subgraph) => [subgraph.name, subgraph.url])),
    readiness: { timeoutMs: 500, cacheMs: 0 },
    ...options,
  });
  const port = await router.start(0);
  return { router, port, base: `http://127.0.0.1:${port}` };
}
