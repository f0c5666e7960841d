import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * The per-request context the router's Apollo Server runs with, and what subgraph calls read. A feature that
 * adds a field declares it here by module augmentation, next to the code that fills it:
 *
 *   declare module '../context.ts' { interface RouterContext { user?: User } }
 */
export interface RouterContext {
  authorization?: string;
  traceparent?: string;
  tracestate?: string;
}

/** Caller headers forwarded to every subgraph: credentials, and the W3C trace context. */
export const forwardedHeaders = ['authorization', 'traceparent', 'tracestate'] as const;

/** What a context contributor sees: the caller's headers, and the HTTP request when there is one. */
export interface ContextInput {
  /** Lower-case names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** Absent for operations a feature runs through execute(). */
  request?: IncomingMessage;
}

/** A feature's part of the context: fields it adds (or replaces) for every operation. */
export type ContextContributor = (
  input: ContextInput,
) => Partial<RouterContext> | undefined | Promise<Partial<RouterContext> | undefined>;

/**
 * Builds the context from the caller's headers: the forwarded ones first, then each contributor's fields in
 * the order the features registered them. One builder for both the HTTP path and execute(), so an
 * operation a feature runs carries the caller's authorization and trace context like any other.
 */
export function createContextBuilder(
  contributors: readonly ContextContributor[],
): (input: ContextInput) => Promise<RouterContext> {
  return async (input) => {
    const context: RouterContext = {};
    for (const name of forwardedHeaders) {
      const value = input.headers[name];
      if (typeof value === 'string') context[name] = value;
    }
    for (const contribute of contributors) {
      const fields = await contribute(input);
      if (fields !== undefined) Object.assign(context, fields);
    }
    return context;
  };
}

/** Caller headers as node:http would give them: lower-case names, absent values dropped. */
export function normalizeHeaders(headers: Record<string, string | undefined> = {}): IncomingHttpHeaders {
  const normalized: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) normalized[name.toLowerCase()] = value;
  }
  return normalized;
}
