import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface LiveResult {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
}

/** One graphql-ws connection to the router's /graphql, authenticated with these headers' Authorization. */
export interface LiveConnection {
  /** Starts a subscription: its results as they arrive, and how it ended. */
  subscribe(
    query: string,
    variables?: Record<string, unknown>,
  ): { results: LiveResult[]; error(): unknown; completed(): boolean; stop(): void };
  /** The close code once the socket closed (4401: the token was refused or expired). */
  closed: Promise<number>;
  dispose(): Promise<void>;
}

/** ws://…/graphql for an http(s)://…/graphql router URL. */
export const liveUrlOf = (routerUrl: string) => routerUrl.replace(/^http/, 'ws');

export function liveConnection(routerUrl: string, headers: Record<string, string> = {}): LiveConnection {
  let closedWith: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    closedWith = resolve;
  });
  const client: Client = createClient({
    url: liveUrlOf(routerUrl),
    webSocketImpl: WebSocket,
    connectionParams: headers.authorization ? { authorization: headers.authorization } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: { closed: (event) => closedWith((event as { code: number }).code) },
  });
  return {
    subscribe(query, variables = {}) {
      const results: LiveResult[] = [];
      let failure: unknown;
      let done = false;
      const stop = client.subscribe(
        { query, variables },
        {
          next: (result) => void results.push(result as LiveResult),
          error: (error) => {
            failure = error;
          },
          complete: () => {
            done = true;
          },
        },
      );
      return { results, error: () => failure, completed: () => done, stop };
    },
    closed,
    dispose: () => client.dispose() as Promise<void>,
  };
}
