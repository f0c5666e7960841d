import type { IncomingHttpHeaders } from 'node:http';
import type { RequestAudit } from '../audit/request-audit.ts';
import type { Principal } from '../auth/principal.ts';
import { bearerTokenOf, type TokenVerifier } from '../auth/verify.ts';
import { type AppError, isAppError, unauthenticated } from '../errors.ts';
import { isTraceparent } from '../events/envelope.ts';

/**
 * What every subgraph knows about a request before its own resolvers run. Built in one place (here), for
 * both engines, so that the caller's identity has exactly one home when authentication arrives.
 */
export interface RequestContext {
  /** The caller's W3C trace context, when well-formed: it travels into the events a request causes. */
  traceparent: string | undefined;
  /** Who is calling, from a verified access token; undefined without one. */
  principal?: Principal | undefined;
  /**
   * Why a token that came could not be used (expired, not ours; or the keys unreachable): what a field
   * that needs a principal answers instead of a plain UNAUTHENTICATED.
   */
  authFailure?: AppError | undefined;
  /**
   * What this request does with patient data, written before its answer leaves (ADR 0017): present in a
   * subgraph that audits, for a request with a principal.
   */
  audit?: RequestAudit | undefined;
}

/**
 * The caller's W3C trace context, if well-formed: consumers reject an envelope with a malformed one, so a
 * garbage header is dropped here rather than poisoning the outbox.
 */
export function traceparentOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.traceparent;
  return isTraceparent(value) ? value : undefined;
}

/**
 * The kit's part of every request's context: trace context, and the principal of a verified
 * `Authorization: Bearer` token. A request without a token has no principal; a bad token is not an error
 * here (the request may only ask for `__typename`), but every field that needs a principal answers it.
 */
export async function requestContextOf(
  headers: IncomingHttpHeaders,
  verifier: TokenVerifier,
): Promise<RequestContext> {
  const traceparent = traceparentOf(headers);
  const token = bearerTokenOf(headers.authorization);
  if (token === undefined) return { traceparent };
  if (token === null)
    return { traceparent, authFailure: unauthenticated('The Authorization header must be "Bearer <token>"') };
  try {
    return { traceparent, principal: await verifier.verify(token) };
  } catch (error) {
    return { traceparent, authFailure: isAppError(error) ? error : unauthenticated() };
  }
}
