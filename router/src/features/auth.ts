import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import type { Principal } from '@hsg/kit/auth';
import { createTokenVerifier } from '@hsg/kit/auth';
import { readBody, sendJson } from '@hsg/kit/http';
import { requestContextOf } from '@hsg/kit/runtime';
import { GraphQLError, Kind, type OperationDefinitionNode } from 'graphql';
import type { RouterContext } from '../context.ts';
import type { RouterFeature } from './feature.ts';

declare module '../context.ts' {
  interface RouterContext {
    /** The caller, from a verified access token (the subgraphs verify it again themselves). */
    principal?: Principal;
    /** Why a token that came was refused. */
    authFailure?: { code: 'UNAUTHENTICATED' | 'UNAVAILABLE'; message: string };
  }
}

export interface AuthOptions {
  /** The identity subgraph's origin (`http://127.0.0.1:4104`), which owns users, tokens and keys. */
  identityOrigin: string;
  /** Its JWKS; default `<identityOrigin>/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Development: introspection without a token, so Sandbox can load the schema before you log in. */
  anonymousIntrospection?: boolean;
  /** How long the router serves a fetched JWKS from memory. */
  jwksCacheMs?: number;
}

const authPaths = ['/auth/login', '/auth/refresh', '/auth/logout'] as const;

/**
 * Login, refresh and logout (`POST /auth/*`, passed to the identity subgraph with the caller's address)
 * and the JWKS (`/.well-known/jwks.json`). Every GraphQL operation needs a valid access token, else 401
 * UNAUTHENTICATED before anything is planned; the subgraphs verify it again and enforce their rules.
 */
export function createAuthFeature(options: AuthOptions): RouterFeature {
  const jwksUrl = options.jwksUrl ?? `${options.identityOrigin}/.well-known/jwks.json`;
  const verifier = createTokenVerifier({ jwksUrl });
  return {
    name: 'auth',
    setup(host) {
      for (const path of authPaths) {
        host.route({
          method: 'POST',
          path,
          handler: (request, response) => forward(`${options.identityOrigin}${path}`, request, response),
        });
      }
      host.route({
        method: 'GET',
        path: '/.well-known/jwks.json',
        handler: jwksRoute(jwksUrl, options.jwksCacheMs),
      });
      // The same reading of the Authorization header every subgraph does (the kit's request context).
      host.context(async ({ headers }) => {
        const { principal, authFailure } = await requestContextOf(headers, verifier);
        if (principal) return { principal };
        if (!authFailure) return undefined;
        const code = authFailure.code === 'UNAVAILABLE' ? 'UNAVAILABLE' : 'UNAUTHENTICATED';
        return { authFailure: { code, message: authFailure.message } };
      });
      host.plugin(requirePrincipal(options.anonymousIntrospection ?? false));
    },
  };
}

/** Refuses an operation without a principal (401), unless it only introspects and that is allowed. */
function requirePrincipal(anonymousIntrospection: boolean): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          if (contextValue.principal) return;
          if (anonymousIntrospection && contextValue.authFailure === undefined && onlyIntrospects(operation))
            return;
          const failure = contextValue.authFailure ?? {
            code: 'UNAUTHENTICATED',
            message: 'Log in first: send Authorization: Bearer <accessToken> (POST /auth/login gives one)',
          };
          const status = failure.code === 'UNAVAILABLE' ? 503 : 401;
          throw new GraphQLError(failure.message, {
            extensions: {
              code: failure.code,
              retriable: failure.code === 'UNAVAILABLE',
              http: { status, headers: new HeaderMap([['www-authenticate', 'Bearer']]) },
            },
          });
        },
      };
    },
  };
}

const onlyIntrospects = (operation: OperationDefinitionNode | undefined) =>
  operation?.operation === 'query' &&
  operation.selectionSet.selections.every(
    (selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'),
  );

/** POSTs the caller's JSON body on to identity and answers with what it answered. */
async function forward(url: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request, 16_384);
  let answer: Response;
  try {
    answer = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': request.headers['content-type'] ?? 'application/json',
        // Identity throttles failed logins per address: the router says whose, the caller cannot.
        'x-hsg-client-ip': request.socket.remoteAddress ?? 'unknown',
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    return sendJson(response, 503, { error: 'unavailable', message: 'Login is unavailable right now' });
  }
  const text = await answer.text();
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  for (const name of ['content-type', 'retry-after', 'www-authenticate']) {
    const value = answer.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  response.writeHead(answer.status, headers);
  response.end(text);
}

/** The JWKS as identity serves it, from memory for a while (key rotation keeps old keys listed). */
function jwksRoute(jwksUrl: string, cacheMs = 60_000) {
  let cached: { at: number; body: string } | undefined;
  return async (_request: IncomingMessage, response: ServerResponse) => {
    if (cached === undefined || Date.now() - cached.at > cacheMs) {
      try {
        const answer = await fetch(jwksUrl, { signal: AbortSignal.timeout(5_000) });
        if (!answer.ok) throw new Error(`JWKS answered ${answer.status}`);
        cached = { at: Date.now(), body: await answer.text() };
      } catch {
        if (cached === undefined)
          return sendJson(response, 503, {
            error: 'unavailable',
            message: 'The signing keys are unavailable',
          });
      }
    }
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': `public, max-age=${Math.floor(cacheMs / 1000)}`,
    });
    response.end(cached.body);
  };
}
