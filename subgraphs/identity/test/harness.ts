import { freePort } from '@hsg/infra';
import { silentLogger } from '@hsg/kit';
import { type RunningSubgraph, startSubgraph } from '@hsg/kit/runtime';
import { type EventBackend, type GraphQLResponse, graphqlRequest, setupTimeoutMs } from '@hsg/testing';
import { afterAll, beforeAll } from '@jest/globals';
import type { JSONWebKeySet } from 'jose';
import type { IdentitySettings } from '../src/env.ts';
import { type IdentitySubgraph, identitySubgraph } from '../src/subgraph.ts';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export interface IdentityUnderTest {
  readonly backendName: string;
  readonly subgraph: RunningSubgraph<IdentitySubgraph>;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** The subgraph's clock: starts at the real time, moves only when told. */
  now(): Date;
  advance(ms: number): void;
  gql(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse>;
  /** POSTs a JSON body (or a raw string) to one of its routes. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  jwks(): Promise<JSONWebKeySet>;
}

/**
 * Starts the identity subgraph through the kit's runtime on a fresh namespace of the backend, verifying
 * access tokens against its own JWKS (so the tokens it issues are what its GraphQL API trusts), with a
 * clock the tests move.
 */
export function useIdentity(
  makeBackend: () => EventBackend,
  settings: Partial<IdentitySettings> = {},
): IdentityUnderTest {
  const backend = makeBackend();
  let running: RunningSubgraph<IdentitySubgraph> | undefined;
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  const started = () => {
    if (!running) throw new Error('identity is not started yet (use it inside a test)');
    return running;
  };
  const origin = () => `http://127.0.0.1:${started().port}`;

  beforeAll(async () => {
    const port = await freePort();
    running = await startSubgraph(identitySubgraph, {
      auth: { jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` },
      database: await backend.sql.open(backend.sql.newNamespace()),
      transport: await backend.transport(),
      logger: silentLogger(),
      port,
      clock,
      settings,
    });
  }, setupTimeoutMs);

  afterAll(async () => {
    await running?.stop();
    await backend.dispose();
  }, setupTimeoutMs);

  return {
    backendName: backend.name,
    get subgraph() {
      return started();
    },
    get origin() {
      return origin();
    },
    now: clock,
    advance(ms) {
      offsetMs += ms;
    },
    gql: (query, variables = {}, token) =>
      graphqlRequest(started().url, query, variables, token ? { authorization: `Bearer ${token}` } : {}),
    async post(path, body, headers = {}) {
      const response = await fetch(`${origin()}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // not JSON (204): json stays empty
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async jwks() {
      return (await (await fetch(`${origin()}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    },
  };
}
