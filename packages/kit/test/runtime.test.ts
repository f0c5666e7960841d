import { sharedTestKeys } from '@hsg/testing';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import { AppError, silentLogger } from '../src/index.ts';
import { createSubgraphServer, type EngineName, type RequestContext } from '../src/runtime/index.ts';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Thing @key(fields: "id") { id: ID! trace: String }
  type Query { thing(id: ID!): Thing  echo(text: String!): String  refused: String  broken: String }
`);

interface Context extends RequestContext {
  prefix: string;
}

const resolvers = {
  Query: {
    thing: (_: unknown, { id }: { id: string }, context: Context) => ({
      id,
      trace: context.traceparent ?? null,
    }),
    echo: (_: unknown, { text }: { text: string }, context: Context) => `${context.prefix}${text}`,
    refused: () => {
      throw new AppError('FORBIDDEN', 'Not yours');
    },
    broken: () => {
      throw new Error('select * from secrets failed');
    },
  },
};

async function withServer(engine: EngineName, run: (url: string) => Promise<void>) {
  const keys = await sharedTestKeys();
  const server = createSubgraphServer<Context>({
    engine,
    typeDefs,
    resolvers,
    context: () => ({ prefix: '> ' }),
    logger: silentLogger(),
    readiness: { store: () => true },
    auth: { jwks: keys.jwks },
  });
  const port = await server.start(0);
  try {
    await run(`http://127.0.0.1:${port}`);
  } finally {
    await server.stop();
  }
}

const post = async (url: string, body: string, headers: Record<string, string> = {}) => {
  const caller = await (await sharedTestKeys()).headersFor({ role: 'FRONT_DESK' });
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...caller, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** What a client sees, engine by engine: the runtime's promise is that the two lists are equal. */
async function observe(engine: EngineName) {
  const seen: unknown[] = [];
  await withServer(engine, async (url) => {
    seen.push(
      await post(url, JSON.stringify({ query: '{ thing(id: "t1") { id trace } }' }), { traceparent }),
    );
    seen.push(
      await post(url, JSON.stringify({ query: '{ thing(id: "t1") { trace } }' }), { traceparent: 'junk' }),
    );
    seen.push(await post(url, JSON.stringify({ query: '{ echo(text: "hi") }' })));
    seen.push(await post(url, JSON.stringify({ query: '{ refused }' })));
    seen.push(await post(url, JSON.stringify({ query: '{ broken }' })));
    seen.push(
      await post(
        url,
        JSON.stringify({ query: 'query ($t: String!) { echo(text: $t) }', variables: { t: 'a\u0000' } }),
      ),
    );
    seen.push(await post(url, JSON.stringify({ query: '{ echo(text: "x") }', pad: 'x'.repeat(1_100_000) })));
    // A scalar the schema refuses (an ID given an object): the engine's own error, never with a stack trace.
    seen.push(
      await post(
        url,
        JSON.stringify({ query: 'query ($id: ID!) { thing(id: $id) { id } }', variables: { id: { a: 1 } } }),
      ),
    );
    // Operation limits for a caller that skips the router: tokens, aliases and root fields, depth.
    const echoes = (count: number) =>
      Array.from({ length: count }, (_unused, i) => `e${i}: echo(text: "x")`).join(' ');
    seen.push(await post(url, JSON.stringify({ query: `{ ${echoes(3000)} }` })));
    seen.push(await post(url, JSON.stringify({ query: `{ ${echoes(101)} }` })));
    const nested = `${'... on Thing { '.repeat(16)}id${' }'.repeat(16)}`;
    seen.push(await post(url, JSON.stringify({ query: `{ thing(id: "t1") { ${nested} } }` })));
    for (const path of ['/health', '/ready']) {
      const response = await fetch(`${url}${path}`);
      seen.push({ path, status: response.status, body: await response.json() });
    }
  });
  return seen;
}

describe('the subgraph runtime', () => {
  it('serves Apollo and mercurius alike: context, trace context, errors, strict input, limits, 413, health', async () => {
    const apollo = await observe('apollo');
    const mercurius = await observe('mercurius');
    expect(apollo[0]).toEqual({ status: 200, body: { data: { thing: { id: 't1', trace: traceparent } } } });
    expect(apollo[1]).toEqual({ status: 200, body: { data: { thing: { trace: null } } } });
    expect(apollo[2]).toEqual({ status: 200, body: { data: { echo: '> hi' } } });
    expect(apollo[3]).toMatchObject({
      body: { errors: [{ message: 'Not yours', extensions: { code: 'FORBIDDEN' } }] },
    });
    expect(apollo[4]).toMatchObject({
      body: { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL' } }] },
    });
    expect(apollo[5]).toMatchObject({
      body: { errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'text' } }] },
    });
    expect(apollo[6]).toMatchObject({
      status: 413,
      body: { errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] },
    });
    expect(apollo[7]).toMatchObject({
      status: 400,
      body: { errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] },
    });
    const codes = (seen: unknown) =>
      (seen as { body: { errors: Array<{ extensions: { code: string } }> } }).body.errors.map(
        (error) => error.extensions.code,
      );
    expect(apollo[8]).toMatchObject({ status: 400 });
    expect(codes(apollo[8])).toEqual(['TOKEN_LIMIT_EXCEEDED']);
    expect(apollo[9]).toMatchObject({ status: 400 });
    expect(codes(apollo[9])).toEqual(['ALIAS_LIMIT_EXCEEDED', 'ROOT_FIELD_LIMIT_EXCEEDED']);
    expect(apollo[10]).toMatchObject({ status: 400 });
    expect(codes(apollo[10])).toEqual(['DEPTH_LIMIT_EXCEEDED']);
    expect(JSON.stringify(apollo)).not.toMatch(/stacktrace|exception|\/work\/|node_modules/);
    expect(apollo.slice(-2)).toEqual([
      { path: '/health', status: 200, body: { status: 'ok' } },
      { path: '/ready', status: 200, body: { status: 'ready', checks: { store: true } } },
    ]);
    expect(mercurius).toEqual(apollo);
  }, 60_000);
});
