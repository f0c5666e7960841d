import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;

export interface HttpApp {
  readonly server: Server;
  /** Listens on port (0 = any free port) and resolves to the port bound. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes idle keep-alive sockets. */
  close(graceMs?: number): Promise<void>;
}

/**
 * A minimal HTTP server: exact-path routes, JSON 404s, and a graceful close. Services mount their
 * GraphQL handler and /health, /ready on it; no framework is needed for that.
 */
export function createHttpApp(routes: Record<string, RouteHandler>, logger: Logger): HttpApp {
  const server = createServer({ keepAliveTimeout: 65_000 }, async (request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path];
    try {
      if (!route) return sendJson(response, 404, { error: 'not found' });
      await route(request, response);
    } catch (error) {
      logger.error({ err: error, path }, 'request failed');
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.destroy();
    }
  });
  return {
    server,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: (graceMs = 5000) =>
      new Promise((resolve) => {
        if (!server.listening) return resolve();
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Reads a request body up to maxBytes; larger bodies are refused rather than buffered. */
export async function readBody(request: IncomingMessage, maxBytes = 1_000_000): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** /health: the process is alive. /ready: every dependency says it is ready (503 with details if not). */
export function healthRoutes(
  checks: Record<string, () => Promise<boolean> | boolean>,
): Record<string, RouteHandler> {
  return {
    '/health': (_request, response) => sendJson(response, 200, { status: 'ok' }),
    '/ready': async (_request, response) => {
      const results = await Promise.all(
        Object.entries(checks).map(
          async ([name, check]) => [name, await Promise.resolve(check()).catch(() => false)] as const,
        ),
      );
      const ready = results.every(([, ok]) => ok);
      sendJson(response, ready ? 200 : 503, {
        status: ready ? 'ready' : 'not ready',
        checks: Object.fromEntries(results),
      });
    },
  };
}
