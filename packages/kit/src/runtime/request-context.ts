import type { IncomingHttpHeaders } from 'node:http';
import { isTraceparent } from '../events/envelope.ts';

/**
 * What every subgraph knows about a request before its own resolvers run. Built in one place (here), for
 * both engines, so that the caller's identity has exactly one home when authentication arrives.
 */
export interface RequestContext {
  /** The caller's W3C trace context, when well-formed: it travels into the events a request causes. */
  traceparent: string | undefined;
}

/**
 * The caller's W3C trace context, if well-formed: consumers reject an envelope with a malformed one, so a
 * garbage header is dropped here rather than poisoning the outbox.
 */
export function traceparentOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.traceparent;
  return isTraceparent(value) ? value : undefined;
}

export function requestContextOf(headers: IncomingHttpHeaders): RequestContext {
  return { traceparent: traceparentOf(headers) };
}
