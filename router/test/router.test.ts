import { silentLogger } from '@hsg/kit';
import { graphqlPost } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRouter, type Router } from '../src/router.ts';
import {
  composeTestSupergraph,
  startTestRouter,
  startTestSubgraphs,
  type TestSubgraph,
} from './test-subgraphs.ts';

const supergraphSdl = composeTestSupergraph();

describe('router over two subgraphs', () => {
  let people: TestSubgraph;
  let visits: TestSubgraph;
  let router: Router;
  let base: string;

  beforeAll(async () => {
    ({ people, visits } = await startTestSubgraphs());
    ({ router, base } = await startTestRouter([people, visits]));
  });
  afterAll(async () => {
    await router.stop();
    await Promise.all([people.stop(), visits.stop()]);
  });

  it('resolves a query that spans both subgraphs', async () => {
    const { status, body } = await graphqlPost(
      `${base}/graphql`,
      '{ person(id: "p1") { id name visits { id reason } } }',
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      data: { person: { id: 'p1', name: 'Person p1', visits: [{ id: 'v-p1', reason: 'check-up' }] } },
    });
  });

  it("forwards the caller's authorization and traceparent to every subgraph, and asks for no traces", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    people.received.length = 0;
    visits.received.length = 0;
    await graphqlPost(
      `${base}/graphql`,
      '{ person(id: "p2") { visits { id } } }',
      {},
      {
        authorization: 'Bearer token-123',
        traceparent,
      },
    );
    for (const subgraph of [people, visits]) {
      expect(subgraph.received).toHaveLength(1);
      expect(subgraph.received[0]).toMatchObject({ authorization: 'Bearer token-123', traceparent });
      expect(subgraph.received[0]).not.toHaveProperty('apollo-federation-include-trace');
    }
  });

  it("passes a subgraph error's code through to the client", async () => {
    const { body } = await graphqlPost(`${base}/graphql`, '{ forbidden }');
    expect(body.errors?.[0]).toMatchObject({ message: 'Not your record', extensions: { code: 'FORBIDDEN' } });
  });

  it("keeps a subgraph's code when it rejects the request with HTTP 400, without leaking its URL", async () => {
    const { body } = await graphqlPost(`${base}/graphql`, 'query ($day: Day!) { bornOn(day: $day) { id } }', {
      day: 'yesterday',
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', serviceName: 'people' });
    expect(JSON.stringify(body)).not.toContain(people.url);
  });

  it("hides a subgraph's internal failure behind INTERNAL", async () => {
    const { body } = await graphqlPost(`${base}/graphql`, '{ broken }');
    expect(body.errors?.[0]).toMatchObject({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL' },
    });
  });

  it('serves /health and a ready /ready when every subgraph answers', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', subgraphs: { people: 'up', visits: 'up' } });
  });

  it('serves the Sandbox landing page to a browser in development', async () => {
    const response = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('embeddable-sandbox');
  });
});

describe('router when a subgraph is down', () => {
  it('answers /ready with 200 degraded naming the subgraph, and queries that need it with UNAVAILABLE', async () => {
    const { people, visits } = await startTestSubgraphs();
    const { router, base } = await startTestRouter([people, visits]);
    try {
      await visits.stop();
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'degraded', subgraphs: { people: 'up', visits: 'down' } });

      const { body } = await graphqlPost(`${base}/graphql`, '{ person(id: "p3") { name visits { id } } }');
      expect(body.errors?.[0]).toMatchObject({
        message: 'Subgraph visits is unavailable',
        extensions: { code: 'UNAVAILABLE', retriable: true },
      });
      expect(body.data).toEqual({ person: null });
    } finally {
      await router.stop();
      await people.stop();
    }
  });
});

describe('router connections to subgraphs', () => {
  it('reuses at most maxSocketsPerSubgraph keep-alive connections per subgraph', async () => {
    const { people, visits } = await startTestSubgraphs();
    const { router, base } = await startTestRouter([people, visits], { maxSocketsPerSubgraph: 2 });
    try {
      const query = '{ person(id: "p4") { name visits { id } } }';
      const results = await Promise.all(
        Array.from({ length: 20 }, () => graphqlPost(`${base}/graphql`, query)),
      );
      expect(results.every(({ body }) => body.errors === undefined)).toBe(true);
      await graphqlPost(`${base}/graphql`, query);
      // /ready probes have their own pool, and none ran here.
      expect(people.connections()).toBeLessThanOrEqual(2);
      expect(visits.connections()).toBeLessThanOrEqual(2);
    } finally {
      await router.stop();
      await Promise.all([people.stop(), visits.stop()]);
    }
  });
});

describe('router in production', () => {
  const planHeader = { 'apollo-query-plan-experimental': 'true' };
  const misspelt = '{ person(id: "p1") { nme } }';

  it('serves no landing page, and refuses introspection, field suggestions and query plans', async () => {
    const { people, visits } = await startTestSubgraphs();
    const { router, base } = await startTestRouter([people, visits], { production: true });
    try {
      const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toContain('embeddable-sandbox');
      const { body } = await graphqlPost(`${base}/graphql`, '{ __schema { types { name } } }');
      expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const suggestion = await graphqlPost(`${base}/graphql`, misspelt);
      expect(suggestion.body.errors?.[0]?.message).toMatch(/Cannot query field "nme"/);
      expect(suggestion.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
      const planned = await graphqlPost(`${base}/graphql`, '{ person(id: "p1") { name } }', {}, planHeader);
      expect(planned.body.data).toEqual({ person: { name: 'Person p1' } });
      expect(planned.body).not.toHaveProperty('extensions');
    } finally {
      await router.stop();
      await Promise.all([people.stop(), visits.stop()]);
    }
  });

  it('offers all of them in development, so the test above can fail', async () => {
    const { people, visits } = await startTestSubgraphs();
    const { router, base } = await startTestRouter([people, visits]);
    try {
      const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
      expect(await page.text()).toContain('embeddable-sandbox');
      const { body } = await graphqlPost(`${base}/graphql`, '{ __schema { queryType { name } } }');
      expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
      const suggestion = await graphqlPost(`${base}/graphql`, misspelt);
      expect(suggestion.body.errors?.[0]?.message).toMatch(/Did you mean "name"/);
      const planned = await graphqlPost(`${base}/graphql`, '{ person(id: "p1") { name } }', {}, planHeader);
      expect(planned.body).toHaveProperty('extensions.__queryPlanExperimental');
    } finally {
      await router.stop();
      await Promise.all([people.stop(), visits.stop()]);
    }
  });
});

describe('createRouter', () => {
  it('refuses a URL override for a subgraph the supergraph does not have', () => {
    expect(() =>
      createRouter({
        supergraphSdl,
        logger: silentLogger(),
        subgraphUrls: { pepole: 'http://127.0.0.1:1/graphql' },
      }),
    ).toThrow(/unknown subgraphs: pepole/);
  });
});
