import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sendJson } from '@hsg/kit/http';
import type { RouterFeature } from './feature.ts';

export interface DocumentsOptions {
  /** The billing subgraph's origin (`http://127.0.0.1:4105`), which renders and guards the PDFs. */
  billingOrigin: string;
  /** How long billing may take to start answering. */
  timeoutMs?: number;
}

/** What of billing's answer reaches the caller: the document and how to show it, never its internals. */
const passedHeaders = [
  'content-type',
  'content-disposition',
  'content-length',
  'cache-control',
  'www-authenticate',
];

/**
 * Documents on the router's origin (the one entry point): `GET /invoices/:id/pdf`, passed to billing with
 * the caller's Authorization and trace context and streamed back as billing sends it. Billing verifies
 * the token, applies its rules and records the access, exactly as for the `invoice` query; the router
 * only relays, so a download never bypasses where the data lives.
 */
export function createDocumentsFeature(options: DocumentsOptions): RouterFeature {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    name: 'documents',
    setup(host) {
      host.route({
        method: 'GET',
        path: '/invoices/:id/pdf',
        handler: (request, response, params) =>
          relay(
            `${options.billingOrigin}/invoices/${encodeURIComponent(params.id ?? '')}/pdf`,
            request,
            response,
            timeoutMs,
          ),
      });
    },
  };
}

async function relay(url: string, request: IncomingMessage, response: ServerResponse, timeoutMs: number) {
  // A caller that goes away stops billing's rendering too.
  const aborted = new AbortController();
  response.once('close', () => aborted.abort());
  const headers: Record<string, string> = {};
  for (const name of ['authorization', 'traceparent', 'tracestate'] as const) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  let answer: Response;
  try {
    answer = await fetch(url, {
      headers,
      signal: AbortSignal.any([aborted.signal, AbortSignal.timeout(timeoutMs)]),
    });
  } catch {
    if (!response.headersSent && !aborted.signal.aborted)
      sendJson(response, 503, {
        error: 'unavailable',
        message: 'Documents are unavailable right now; try again',
      });
    return;
  }
  const relayed: Record<string, string> = {};
  for (const name of passedHeaders) {
    const value = answer.headers.get(name);
    if (value !== null) relayed[name] = value;
  }
  response.writeHead(answer.status, relayed);
  if (answer.body === null) return void response.end();
  try {
    await pipeline(Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream), response);
  } catch {
    // Billing's stream broke or the caller left: the response is cut short, which the caller sees.
    response.destroy();
  }
}
