import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';

export interface SubgraphTransportOptions {
  /** Connections kept per subgraph origin; further requests queue on them rather than opening more. */
  maxSocketsPerOrigin: number;
  /** Longest wait for a subgraph's response headers, and for each chunk of its body. */
  timeoutMs: number;
}

/** A subgraph's answer, its body already read (the connection is free again when this resolves). */
export interface SubgraphResponse {
  readonly status: number;
  /** Response headers by lower-case name. */
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** POSTs a body to one subgraph URL. */
export type SubgraphPost = (
  headers: Record<string, string>,
  body: string,
  signal?: AbortSignal,
) => Promise<SubgraphResponse>;

export interface SubgraphTransport {
  /** The POST function for one URL (parsed once, not per request). */
  endpoint(url: string): SubgraphPost;
  close(): Promise<void>;
}

/**
 * undici's lowest API (`dispatch` with a handler that collects the body) over one keep-alive Agent: a bounded
 * pool per subgraph origin (the gateway's default is make-fetch-happen with unlimited sockets), and none of
 * fetch's per-call cost (Request, Response and Headers objects, web streams) nor even a body stream.
 * Timeouts live on the agent, so no timer or AbortSignal is allocated per request.
 */
export function createSubgraphTransport({
  maxSocketsPerOrigin,
  timeoutMs,
}: SubgraphTransportOptions): SubgraphTransport {
  const agent = new Agent({
    connections: maxSocketsPerOrigin,
    // Shorter than the subgraphs' own keep-alive (65 s in the kit's server), so the router closes first.
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  return {
    endpoint(url) {
      const { origin, pathname, search } = new URL(url);
      const path = `${pathname}${search}`;
      return (headers, body, signal) =>
        new Promise((resolve, reject) => {
          agent.dispatch(
            { origin, path, method: 'POST', headers, body },
            new Collector(resolve, reject, signal),
          );
        });
    },
    close: () => agent.close(),
  };
}

/** Collects one response: status, headers, and the body as one string. */
class Collector implements Dispatcher.DispatchHandler {
  readonly #resolve: (response: SubgraphResponse) => void;
  readonly #reject: (error: Error) => void;
  readonly #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(
    resolve: (response: SubgraphResponse) => void,
    reject: (error: Error) => void,
    signal?: AbortSignal,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const signal = this.#signal;
    if (signal === undefined) return;
    if (signal.aborted) {
      controller.abort(signal.reason as Error);
      return;
    }
    this.#onAbort = () => controller.abort(signal.reason as Error);
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.#status = status;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  onResponseEnd(): void {
    this.#settle();
    const chunks = this.#chunks;
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.#size);
    this.#resolve({ status: this.#status, headers: this.#headers, body: body.toString('utf8') });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#settle();
    this.#reject(error);
  }

  #settle(): void {
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** One response header's value, several joined as HTTP does. */
export function headerOf(response: SubgraphResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
