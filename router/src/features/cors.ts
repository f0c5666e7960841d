import { sendJson } from '@hsg/kit/http';
import type { RouterFeature } from './feature.ts';

export interface CorsOptions {
  /** Exact origins allowed to call the router from a browser (`https://app.clinic.example`); empty: none. */
  origins: readonly string[];
  /** How long a browser may cache a preflight's answer. */
  maxAgeSeconds?: number;
}

/** What a browser app sends: JSON bodies, a bearer token, Apollo's CSRF headers, trace context. */
const allowedHeaders = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'traceparent',
  'tracestate',
].join(', ');

/**
 * CORS for an allowlist of origins: a preflight from one of them answers 204 with what it may send; a
 * preflight from anywhere else answers 403. Credentials (cookies) are not allowed: calls carry a bearer
 * token. Requests without an Origin (servers, curl) are untouched.
 */
export function createCorsFeature({ origins, maxAgeSeconds = 600 }: CorsOptions): RouterFeature {
  const allowed = new Set(origins);
  return {
    name: 'cors',
    setup(host) {
      if (allowed.size === 0) return;
      host.hook((request, response) => {
        const origin = request.headers.origin;
        if (origin === undefined) return false;
        response.setHeader('vary', 'Origin');
        const preflight =
          request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
        if (!allowed.has(origin)) {
          if (!preflight) return false; // the browser withholds the answer: no allow-origin header
          sendJson(response, 403, { error: 'origin not allowed' });
          return true;
        }
        response.setHeader('access-control-allow-origin', origin);
        if (!preflight) return false;
        response.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': allowedHeaders,
          'access-control-max-age': String(maxAgeSeconds),
          'content-length': '0',
        });
        response.end();
        return true;
      });
    },
  };
}
