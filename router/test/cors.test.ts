import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Router } from '../src/router.ts';
import { startTestRouter, startTestSubgraphs, type TestSubgraph } from './test-subgraphs.ts';

const app = 'https://app.clinic.example';

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization',
    },
  });

describe('CORS at the router', () => {
  let people: TestSubgraph;
  let visits: TestSubgraph;
  let withCors: { router: Router; base: string };
  let withoutCors: { router: Router; base: string };

  beforeAll(async () => {
    ({ people, visits } = await startTestSubgraphs());
    withCors = await startTestRouter([people, visits], { corsOrigins: [app] });
    withoutCors = await startTestRouter([people, visits]);
  });
  afterAll(async () => {
    await Promise.all([withCors.router.stop(), withoutCors.router.stop()]);
    await Promise.all([people.stop(), visits.stop()]);
  });

  it("answers an allowed origin's preflight with what it may send", async () => {
    const response = await preflight(`${withCors.base}/graphql`, app);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(app);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('lets the allowed origin read the answer to its operation, and nobody else', async () => {
    const post = (origin: string) =>
      fetch(`${withCors.base}/graphql`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ person(id: "p1") { name } }' }),
      });
    const allowed = await post(app);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(app);
    expect(await allowed.json()).toEqual({ data: { person: { name: 'Person p1' } } });
    const other = await post('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a preflight from an origin not on the list', async () => {
    const response = await preflight(`${withCors.base}/graphql`, 'https://evil.example');
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is off by default: no preflight is answered', async () => {
    const response = await preflight(`${withoutCors.base}/graphql`, app);
    expect(response.status).toBe(400);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
