import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@hsg/kit';
import { graphqlPost } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRouter, type Router } from '../src/router.ts';
import { composeTestSupergraph } from './test-subgraphs.ts';

/** How the stand-in subgraph answers the next request. */
interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer (until the test ends). */
  hang?: boolean;
}

/**
 * A raw HTTP stand-in for both test subgraphs, so a test decides status, headers and body byte for byte, and
 * sees exactly what the router sent.
 */
describe('subgraph calls', () => {
  let stub: Server;
  let router: Router;
  let base: string;
  let answer: Answer = {};
  const seen: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const hanging = new Set<() => void>();

  beforeAll(async () => {
    stub = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        seen.push({ headers: request.headers, body });
        if (answer.hang) {
          hanging.add(() => response.destroy());
          return;
        }
        response.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
        response.end(answer.body ?? '{"data":{"person":{"id":"p1","name":"Stub"}}}');
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/graphql`;
    router = createRouter({
      supergraphSdl: composeTestSupergraph(),
      logger: silentLogger(),
      subgraphUrls: { people: url, visits: url },
      subgraphTimeoutMs: 300,
    });
    base = `http://127.0.0.1:${await router.start(0)}/graphql`;
  }, 30_000);
  afterAll(async () => {
    for (const release of hanging) release();
    await router.stop(100);
    stub.closeAllConnections();
    await new Promise((resolve) => stub.close(resolve));
  });

  const ask = (next: Answer, headers: Record<string, string> = {}) => {
    answer = next;
    seen.length = 0;
    return fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        query: 'query Who($id: ID!) { person(id: $id) { id name } }',
        variables: { id: 'p1' },
      }),
    });
  };

  it('POSTs the operation as JSON with the forwarded headers, and returns the data', async () => {
    const response = await ask({}, { authorization: 'Bearer t', 'x-other': 'not forwarded' });
    expect(await response.json()).toEqual({ data: { person: { id: 'p1', name: 'Stub' } } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer t' });
    expect(seen[0]?.headers).not.toHaveProperty('x-other');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      query: 'query Who__people__0($id:ID!){person(id:$id){id name}}',
      variables: { id: 'p1' },
      operationName: 'Who__people__0',
    });
  });

  it("honours the subgraph's Cache-Control in the response's", async () => {
    const response = await ask({ headers: { 'cache-control': 'max-age=60, public' } });
    expect(response.headers.get('cache-control')).toBe('max-age=60, public');
    const uncached = await ask({});
    expect(uncached.headers.get('cache-control')).toBe('no-store');
  });

  it('answers UNAVAILABLE when the subgraph does not answer within the timeout', async () => {
    const response = await ask({ hang: true });
    const body = (await response.json()) as { errors: Array<{ message: string; extensions: object }> };
    expect(body.errors[0]).toMatchObject({
      message: 'Subgraph people is unavailable',
      extensions: { code: 'UNAVAILABLE', retriable: true },
    });
  });

  it('answers UNAVAILABLE for a 200 that is not JSON, without showing it', async () => {
    const response = await ask({ headers: { 'content-type': 'text/html' }, body: '<h1>proxy says hi</h1>' });
    const text = await response.text();
    expect(JSON.parse(text).errors[0]).toMatchObject({
      extensions: { code: 'UNAVAILABLE', retriable: true },
    });
    expect(text).not.toContain('proxy says hi');
  });

  it('maps a non-2xx without GraphQL errors to a code from its status, without URL or body', async () => {
    const response = await ask({
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: '<h1>bad gateway</h1>',
    });
    const text = await response.text();
    expect(JSON.parse(text).errors[0]).toMatchObject({
      message: 'Subgraph people answered HTTP 502',
      extensions: { code: 'UNAVAILABLE', retriable: true, serviceName: 'people' },
    });
    expect(text).not.toContain('bad gateway');
    expect(text).not.toContain('127.0.0.1');
  });

  it("keeps the first GraphQL error of a non-2xx JSON answer, with the subgraph's code", async () => {
    const response = await ask({
      status: 401,
      body: '{"errors":[{"message":"Token expired","extensions":{"code":"UNAUTHENTICATED"}}]}',
    });
    const { body } = { body: (await response.json()) as { errors: unknown[] } };
    expect(body.errors[0]).toMatchObject({
      message: 'Token expired',
      extensions: { code: 'UNAUTHENTICATED', serviceName: 'people' },
    });
  });

  it('still serves after all that', async () => {
    answer = {};
    const { body } = await graphqlPost(base, '{ person(id: "p1") { id } }');
    expect(body).toEqual({ data: { person: { id: 'p1' } } });
  });
});
