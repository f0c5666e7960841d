import type { IncomingHttpHeaders } from 'node:http';
import { silentLogger } from '@hsg/kit';
import { createHttpApp, type HttpApp, type RouteHandler, readBody, sendJson } from '@hsg/kit/http';
import { createTestKeys, graphqlPost, type TestKeys } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Router } from '../src/router.ts';
import { startTestRouter, startTestSubgraphs, type TestSubgraph } from './test-subgraphs.ts';

/** Identity as the router sees it: a JWKS, and /auth/* answering with what it was sent. */
async function standInIdentity(keys: TestKeys) {
  const seen: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
  const echo =
    (path: string): RouteHandler =>
    async (request, response) => {
      const body = await readBody(request);
      seen.push({ path, headers: request.headers, body });
      if (path === '/auth/login' && JSON.parse(body).password !== 'right')
        return sendJson(response, 401, { error: 'invalid_credentials' });
      sendJson(response, 200, { accessToken: 'issued', tokenType: 'Bearer' });
    };
  const app: HttpApp = createHttpApp(
    {
      '/.well-known/jwks.json': (_request, response) => sendJson(response, 200, keys.jwks),
      '/auth/login': echo('/auth/login'),
      '/auth/refresh': echo('/auth/refresh'),
      '/auth/logout': echo('/auth/logout'),
    },
    silentLogger(),
  );
  const port = await app.listen(0);
  return { origin: `http://127.0.0.1:${port}`, seen, stop: () => app.close(100) };
}

describe('the router with auth', () => {
  let keys: TestKeys;
  let identity: Awaited<ReturnType<typeof standInIdentity>>;
  let people: TestSubgraph;
  let visits: TestSubgraph;
  let router: Router;
  let base: string;

  beforeAll(async () => {
    keys = await createTestKeys();
    identity = await standInIdentity(keys);
    ({ people, visits } = await startTestSubgraphs());
    ({ router, base } = await startTestRouter([people, visits], {
      auth: { identityOrigin: identity.origin },
    }));
  });
  afterAll(async () => {
    await router.stop();
    await Promise.all([people.stop(), visits.stop(), identity.stop()]);
  });

  const query = '{ person(id: "p1") { name } }';

  it('answers 401 UNAUTHENTICATED to an operation without a token, before any subgraph is asked', async () => {
    people.received.length = 0;
    const { status, body } = await graphqlPost(`${base}/graphql`, query);
    expect(status).toBe(401);
    expect(body).toEqual({
      errors: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', retriable: false } })],
    });
    expect(people.received).toHaveLength(0);
  });

  it('refuses an expired token and one signed by another key, saying which', async () => {
    const expired = await graphqlPost(
      `${base}/graphql`,
      query,
      {},
      await keys.headersFor({ role: 'ADMIN', expiresIn: -60 }),
    );
    expect(expired.status).toBe(401);
    expect(expired.body.errors?.[0]?.message).toBe('The access token has expired');
    const stranger = await createTestKeys('not-identity');
    const forged = await graphqlPost(
      `${base}/graphql`,
      query,
      {},
      await stranger.headersFor({ role: 'ADMIN' }),
    );
    expect(forged.status).toBe(401);
    expect(forged.body.errors?.[0]?.message).toBe('The access token is not valid');
  });

  it('runs an operation with a valid token and forwards the token to the subgraphs', async () => {
    const headers = await keys.headersFor({ role: 'FRONT_DESK' });
    people.received.length = 0;
    const { status, body } = await graphqlPost(`${base}/graphql`, query, {}, headers);
    expect(status).toBe(200);
    expect(body.data).toEqual({ person: { name: 'Person p1' } });
    expect(people.received[0]?.authorization).toBe(headers.authorization);
  });

  it('lets Sandbox introspect without a token in development, and nothing else', async () => {
    const { status, body } = await graphqlPost(`${base}/graphql`, '{ __schema { queryType { name } } }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const mixed = await graphqlPost(`${base}/graphql`, '{ __typename person(id: "p1") { name } }');
    expect(mixed.status).toBe(401);
  });

  it('passes login, refresh and logout to identity with the caller address it saw, not one the caller claims', async () => {
    const login = (password: string) =>
      fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hsg-client-ip': '10.9.9.9' },
        body: JSON.stringify({ username: 'frontdesk', password }),
      });
    const right = await login('right');
    expect(right.status).toBe(200);
    expect(right.headers.get('cache-control')).toBe('no-store');
    expect(await right.json()).toEqual({ accessToken: 'issued', tokenType: 'Bearer' });
    const wrong = await login('wrong');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_credentials' });
    expect(identity.seen.at(-1)?.headers['x-hsg-client-ip']).toBe('127.0.0.1');
    for (const path of ['/auth/refresh', '/auth/logout']) {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"refreshToken":"r"}',
      });
      expect(response.status).toBe(200);
      expect(identity.seen.at(-1)).toMatchObject({ path, body: '{"refreshToken":"r"}' });
    }
  });

  it("serves identity's JWKS at /.well-known/jwks.json", async () => {
    const response = await fetch(`${base}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(keys.jwks);
  });
});
