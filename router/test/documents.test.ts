import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDocumentsFeature, type Router } from '../src/router.ts';
import { startTestRouter, startTestSubgraphs, type TestSubgraph } from './test-subgraphs.ts';

/** A stand-in for billing's PDF route: what it was asked, and a document sent in pieces. */
function startStandInBilling() {
  const asked: Array<{ url: string; authorization?: string; traceparent?: string }> = [];
  const server = createServer((request, response) => {
    asked.push({
      url: request.url ?? '',
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      ...(typeof request.headers.traceparent === 'string'
        ? { traceparent: request.headers.traceparent }
        : {}),
    });
    if (!request.headers.authorization) {
      response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      return response.end('{"error":"unauthenticated"}');
    }
    if (request.url !== '/invoices/inv-1/pdf') {
      response.writeHead(404, { 'content-type': 'application/json' });
      return response.end('{"error":"not found"}');
    }
    response.writeHead(200, {
      'content-type': 'application/pdf',
      'content-disposition': 'inline; filename="INV-2026-000001.pdf"',
      'x-billing-internal': 'not for callers',
    });
    // Streamed: the router passes each piece on as it comes.
    let pieces = 0;
    const timer = setInterval(() => {
      response.write(pieces === 0 ? '%PDF-1.7\n' : `piece ${pieces}\n`);
      if (++pieces === 5) {
        clearInterval(timer);
        response.end('%%EOF\n');
      }
    }, 5);
  });
  return new Promise<{ server: Server; origin: string; asked: typeof asked }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked }),
    ),
  );
}

describe('invoice documents on the router', () => {
  let people: TestSubgraph;
  let visits: TestSubgraph;
  let billing: Awaited<ReturnType<typeof startStandInBilling>>;
  let router: Router;
  let base: string;
  beforeAll(async () => {
    ({ people, visits } = await startTestSubgraphs());
    billing = await startStandInBilling();
    ({ router, base } = await startTestRouter([people, visits], {
      auth: 'off',
      features: [createDocumentsFeature({ billingOrigin: billing.origin, timeoutMs: 2_000 })],
    }));
  }, 30_000);
  afterAll(async () => {
    await router.stop();
    await new Promise((resolve) => billing.server.close(resolve));
    await Promise.all([people.stop(), visits.stop()]);
  });

  it("relays billing's PDF with the caller's authorization and trace context, and only the document's headers", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const response = await fetch(`${base}/invoices/inv-1/pdf`, {
      headers: { authorization: 'Bearer t0ken', traceparent },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe('inline; filename="INV-2026-000001.pdf"');
    expect(response.headers.get('x-billing-internal')).toBeNull();
    expect(await response.text()).toBe('%PDF-1.7\npiece 1\npiece 2\npiece 3\npiece 4\n%%EOF\n');
    expect(billing.asked.at(-1)).toEqual({
      url: '/invoices/inv-1/pdf',
      authorization: 'Bearer t0ken',
      traceparent,
    });
  });

  it("passes billing's refusals on as they are: 401 without a token, 404 for an unknown invoice", async () => {
    const anonymous = await fetch(`${base}/invoices/inv-1/pdf`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    const unknown = await fetch(`${base}/invoices/inv-2/pdf`, { headers: { authorization: 'Bearer t0ken' } });
    expect(unknown.status).toBe(404);
  });

  it('keeps an id inside its path segment', async () => {
    const response = await fetch(`${base}/invoices/${encodeURIComponent('../../graphql')}/pdf`, {
      headers: { authorization: 'Bearer t0ken' },
    });
    expect(response.status).toBe(404);
    expect(billing.asked.at(-1)?.url).toBe('/invoices/..%2F..%2Fgraphql/pdf');
  });

  it('answers 503 while billing is unreachable', async () => {
    const { router: lonely, base: lonelyBase } = await startTestRouter([people, visits], {
      auth: 'off',
      features: [createDocumentsFeature({ billingOrigin: 'http://127.0.0.1:9', timeoutMs: 1_000 })],
    });
    try {
      const response = await fetch(`${lonelyBase}/invoices/inv-1/pdf`, {
        headers: { authorization: 'Bearer t' },
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'unavailable' });
    } finally {
      await lonely.stop();
    }
  });
});
