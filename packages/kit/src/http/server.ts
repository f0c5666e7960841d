import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import FindMyWay from 'find-my-way';
import type { Logger } from 'pino';

/** Path parameters of the matched route: `/fhir/Patient/:id` → `{ id }`, a trailing `*` → `{ '*': rest }`. */
export type RouteParams = Record<string, string | undefined>;

export type RouteHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  params: RouteParams,
) => Promise<void> | void;

/**
 * Takes over the socket of an HTTP upgrade (a WebSocket handshake), e.g. `wss.handleUpgrade(request, socket,
 * head, …)`. The socket is the handler's from here on; the app destroys it only when it closes.
 */
export type UpgradeHandler = (
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  params: RouteParams,
) => Promise<void> | void;

export type HttpMethod = FindMyWay.HTTPMethod;

/**
 * Runs before routing on every request (CORS, say): answers it and returns true, or adds headers and
 * returns false to let the route answer.
 */
export type RequestHook = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface Route {
  /** One method, several, or every method (the default). */
  method?: HttpMethod | HttpMethod[];
  /** An exact path, with `:name` parameters (`/invoices/:id/pdf`) or a trailing `*` for a prefix (`/fhir/*`). */
  path: string;
  handler: RouteHandler;
}

export interface UpgradeRoute {
  /** Matched like a route's path, against the upgrade request's URL. */
  path: string;
  handler: UpgradeHandler;
}

export interface HttpAppOptions {
  routes?: Route[];
  upgrades?: UpgradeRoute[];
  /**
   * How long close() keeps listening before it stops accepting: /ready answers 503 meanwhile, so a load
   * balancer takes the instance out before its connections go (0: stop accepting at once).
   */
  drainDelayMs?: number;
}

export interface HttpApp {
  readonly server: Server;
  /** Adds a route (before or after listen); a second route for the same method and path throws. */
  route(route: Route): void;
  /** Adds an upgrade handler for a path; upgrades to other paths answer 404 and are closed. */
  upgrade(upgrade: UpgradeRoute): void;
  /** Adds a hook that sees every request before its route, in the order added. */
  hook(hook: RequestHook): void;
  /** Listens on port (0 = any free port) and resolves to the port bound. */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Drains: from now on /ready answers 503 and every response carries `Connection: close`; after the drain
   * delay it stops accepting and closes idle keep-alive sockets, lets in-flight requests finish (up to
   * graceMs), then destroys what is left, sockets handed to upgrade handlers included. Calling it again
   * ends the drain delay at once and resolves with the first call.
   */
  close(graceMs?: number): Promise<void>;
  /** Whether close() has begun. */
  readonly draining: boolean;
}

/** The body limit of readBody (and of apolloRoute) unless told otherwise. */
export const defaultMaxBodyBytes = 1_000_000;

/** A request body over the limit; the app answers it with 413 and a GraphQL-shaped error. */
export class PayloadTooLargeError extends Error {
  readonly status = 413;
  readonly limit: number;

  constructor(limit: number) {
    super(`Request body is larger than ${limit} bytes`);
    this.limit = limit;
  }
}

type Routes = Record<string, RouteHandler> | Route[];

/**
 * A small HTTP server: routes by method and path pattern (find-my-way: `:param`s, `*` prefixes; a table of
 * exact paths still works and takes every method), upgrade handlers by path, JSON 404s, 413 for bodies over
 * the limit, and a graceful close. Services mount their GraphQL handler and /health, /ready on it.
 */
export function createHttpApp(routes: Routes, logger: Logger, options: HttpAppOptions = {}): HttpApp {
  const router = FindMyWay();
  const upgrades = FindMyWay();
  const upgraded = new Set<Duplex>();
  const route = ({ method, path, handler }: Route) => {
    if (method === undefined) router.all(path, handler as FindMyWay.Handler<FindMyWay.HTTPVersion.V1>);
    else router.on(method, path, handler as FindMyWay.Handler<FindMyWay.HTTPVersion.V1>);
  };
  const upgrade = ({ path, handler }: UpgradeRoute) => {
    upgrades.on('GET', path, handler as unknown as FindMyWay.Handler<FindMyWay.HTTPVersion.V1>);
  };
  const table = Array.isArray(routes)
    ? routes
    : Object.entries(routes).map(([path, handler]) => ({ path, handler }));
  for (const entry of [...table, ...(options.routes ?? [])]) route(entry);
  for (const entry of options.upgrades ?? []) upgrade(entry);

  let draining = false;
  const hooks: RequestHook[] = [];
  let closing: Promise<void> | undefined;
  /** Responses in flight whose headers are not out yet: told to close when draining begins. */
  const unanswered = new Set<ServerResponse>();
  let endDelay: (() => void) | undefined;
  const findUpgrade = (request: IncomingMessage) =>
    request.method === 'GET' ? upgrades.find('GET', request.url ?? '/') : null;
  const server = createServer(
    // An Upgrade header on a path no handler takes (h2c, say) is served as a plain request, as without one.
    { keepAliveTimeout: 65_000, shouldUpgradeCallback: (request) => findUpgrade(request) !== null },
    async (request, response) => {
      if (draining) {
        // The client opens its next request elsewhere; this one is still served.
        response.setHeader('connection', 'close');
        if (pathOf(request.url) === '/ready') return sendJson(response, 503, { status: 'draining' });
      } else {
        unanswered.add(response);
        response.once('close', () => unanswered.delete(response));
      }
      for (const hook of hooks) if (hook(request, response)) return;
      const found = router.find(request.method as HttpMethod, request.url ?? '/');
      try {
        if (found === null) return sendJson(response, 404, { error: 'not found' });
        await (found.handler as unknown as RouteHandler)(request, response, found.params);
      } catch (error) {
        if (error instanceof PayloadTooLargeError) {
          if (!response.headersSent) return sendPayloadTooLarge(response, error.limit);
        } else {
          logger.error({ err: error, path: pathOf(request.url) }, 'request failed');
        }
        if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
        else response.destroy();
      }
    },
  );

  server.on('upgrade', async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const found = findUpgrade(request);
    if (found === null) return refuseUpgrade(socket, 404, 'Not Found');
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    try {
      await (found.handler as unknown as UpgradeHandler)(request, socket, head, found.params);
    } catch (error) {
      logger.error({ err: error, path: pathOf(request.url) }, 'upgrade failed');
      refuseUpgrade(socket, 500, 'Internal Server Error');
    }
  });

  return {
    server,
    route,
    upgrade,
    hook: (hook) => {
      hooks.push(hook);
    },
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    get draining() {
      return draining;
    },
    close(graceMs = 5000) {
      if (closing) {
        endDelay?.(); // a second close() does not wait out the drain delay
        return closing;
      }
      if (!server.listening) return Promise.resolve();
      draining = true;
      for (const response of unanswered) if (!response.headersSent) response.setHeader('connection', 'close');
      unanswered.clear();
      closing = (async () => {
        const delay = options.drainDelayMs ?? 0;
        if (delay > 0)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delay);
            endDelay = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.closeAllConnections();
            for (const socket of upgraded) socket.destroy();
          }, graceMs);
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
      })();
      return closing;
    },
  };
}

const pathOf = (url: string | undefined) => (url ?? '/').split('?')[0] ?? '/';

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () =>
    socket.destroy(),
  );
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * 413 with the error as a GraphQL client reads it, and the connection closed: the rest of the body is never
 * read, so the socket cannot carry another request.
 */
function sendPayloadTooLarge(response: ServerResponse, limit: number): void {
  response.setHeader('connection', 'close');
  sendJson(response, 413, {
    errors: [
      {
        message: new PayloadTooLargeError(limit).message,
        extensions: { code: 'PAYLOAD_TOO_LARGE', retriable: false },
      },
    ],
  });
}

/**
 * Reads a request body up to maxBytes. A declared Content-Length over the limit is refused before a byte is
 * read; a body that grows past it while streaming is refused there (PayloadTooLargeError, which the app
 * answers with 413).
 */
export function readBody(request: IncomingMessage, maxBytes = defaultMaxBodyBytes): Promise<string> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(new PayloadTooLargeError(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (error?: Error) => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', done);
      request.off('close', onClose);
      if (error) reject(error);
      else
        resolve(
          chunks.length === 1
            ? (chunks[0] as Buffer).toString('utf8')
            : Buffer.concat(chunks, size).toString('utf8'),
        );
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading (not destroy: the 413 still has to go out on this socket).
        request.pause();
        done(new PayloadTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done();
    const onClose = () => done(new Error('request closed before its body was read'));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', done);
    request.on('close', onClose);
  });
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
