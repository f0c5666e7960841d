import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Route, readBody, sendJson } from '@hsg/kit/http';
import type { AuthService, TokenPair } from './auth.ts';
import type { KeyRing } from './keys.ts';
import { clientAddressOf } from './throttle.ts';

/** Login, refresh and logout bodies are a few hundred bytes; anything much larger is not one of them. */
export const authBodyLimitBytes = 8 * 1024;

/** The header the router sets to the caller's address (else the socket's peer is used). */
export const clientIpHeader = 'x-hsg-client-ip';

const invalidCredentials = {
  error: 'invalid_credentials',
  message: 'The username or password is not correct',
} as const;

/** The string fields of a JSON object body, or undefined when it is not one or a field is missing. */
async function fieldsOf<Name extends string>(
  request: IncomingMessage,
  names: readonly Name[],
): Promise<Record<Name, string> | undefined> {
  const text = await readBody(request, authBodyLimitBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const fields = {} as Record<Name, string>;
  for (const name of names) {
    const value = (body as Record<string, unknown>)[name];
    if (typeof value !== 'string' || value === '') return undefined;
    fields[name] = value;
  }
  return fields;
}

const invalidRequest = (response: ServerResponse, message: string) =>
  sendJson(response, 400, { error: 'invalid_request', message });

/** Token responses are never cached (RFC 6749 §5.1). */
function sendTokens(response: ServerResponse, tokens: TokenPair): void {
  response.setHeader('cache-control', 'no-store');
  response.setHeader('pragma', 'no-cache');
  sendJson(response, 200, tokens);
}

function sendInvalidGrant(response: ServerResponse): void {
  response.setHeader('cache-control', 'no-store');
  sendJson(response, 401, {
    error: 'invalid_grant',
    message: 'The refresh token is not valid (expired, revoked or unknown)',
  });
}

/** identity's HTTP routes beside /graphql: the JWKS and the token endpoints. */
export function createAuthRoutes(auth: AuthService, keys: KeyRing): Route[] {
  return [
    {
      method: 'GET',
      path: '/.well-known/jwks.json',
      async handler(_request, response) {
        // Verifiers fetch again for a kid they do not know, so a short cache is safe across a rotation.
        response.setHeader('cache-control', 'public, max-age=60');
        sendJson(response, 200, await keys.jwks());
      },
    },
    {
      method: 'POST',
      path: '/auth/login',
      async handler(request, response) {
        const fields = await fieldsOf(request, ['username', 'password'] as const);
        if (!fields) return invalidRequest(response, 'Send a JSON object with username and password');
        const address = clientAddressOf(request.headers[clientIpHeader], request.socket.remoteAddress);
        const outcome = await auth.login({ ...fields, address });
        response.setHeader('cache-control', 'no-store');
        if (outcome.ok) return sendTokens(response, outcome.tokens);
        if (outcome.error === 'invalid_credentials') return sendJson(response, 401, invalidCredentials);
        response.setHeader('retry-after', String(outcome.retryAfterSeconds));
        sendJson(response, 429, {
          error: 'too_many_attempts',
          message: 'Too many failed logins; try again later',
          retryAfterSeconds: outcome.retryAfterSeconds,
        });
      },
    },
    {
      method: 'POST',
      path: '/auth/refresh',
      async handler(request, response) {
        const fields = await fieldsOf(request, ['refreshToken'] as const);
        if (!fields) return invalidRequest(response, 'Send a JSON object with refreshToken');
        const outcome = await auth.refresh(fields.refreshToken);
        if (outcome.ok) return sendTokens(response, outcome.tokens);
        sendInvalidGrant(response);
      },
    },
    {
      method: 'POST',
      path: '/auth/logout',
      async handler(request, response) {
        const fields = await fieldsOf(request, ['refreshToken'] as const);
        if (!fields) return invalidRequest(response, 'Send a JSON object with refreshToken');
        await auth.logout(fields.refreshToken);
        response.writeHead(204, { 'cache-control': 'no-store' });
        response.end();
      },
    },
  ];
}
