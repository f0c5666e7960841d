import type { Logger } from '@hsg/kit';
import type { RecordLabResultsInput } from './lab-results.ts';
import {
  contentCodes,
  contentFailure,
  type LabResultsSink,
  LabResultsSinkError,
  type SinkFailureDetails,
  unavailableFailure,
} from './sink.ts';

export interface GraphSinkOptions {
  /** The router's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql; login is /auth/* on its origin. */
  graphUrl: string;
  /** A user with the INTEGRATION role (HL7_USERNAME, HL7_PASSWORD). */
  username: string;
  password: string;
  fetch?: typeof fetch;
  /** Per HTTP request (GRAPH_TIMEOUT_MS); a timeout is "unavailable". */
  timeoutMs?: number;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  logger?: Logger;
}

export const recordLabResultsMutation = `mutation RecordLabResults($input: RecordLabResultsInput!) {
  recordLabResults(input: $input) {
    duplicate
    observations {
      id
    }
  }
}`;

interface Tokens {
  accessToken: string;
  /** When to stop using the access token: a little before it expires. */
  renewAt: number;
  refreshToken?: string;
  refreshExpiresAt: number;
}

interface GraphQLErrorShape {
  message?: unknown;
  extensions?: { code?: unknown; rule?: unknown; field?: unknown };
}

const asString = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** The token answer of /auth/login and /auth/refresh, or undefined when it is not one. */
function tokensOf(body: unknown, now: number): Tokens | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { accessToken, expiresIn, refreshToken, refreshExpiresIn } = body as Record<string, unknown>;
  if (typeof accessToken !== 'string' || accessToken === '') return undefined;
  const ttlMs = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn * 1000 : 60_000;
  const refreshMs =
    typeof refreshExpiresIn === 'number' && refreshExpiresIn > 0 ? refreshExpiresIn * 1000 : 0;
  return {
    accessToken,
    // Renewed a tenth of its lifetime (at most a minute) before it expires, so no call carries a dying token.
    renewAt: now + ttlMs - Math.min(60_000, ttlMs / 10),
    ...(typeof refreshToken === 'string' && refreshToken !== '' ? { refreshToken } : {}),
    refreshExpiresAt: now + refreshMs - Math.min(60_000, refreshMs / 10),
  };
}

/**
 * The graph as the bridge's sink: recordLabResults through the router with a Bearer token of an
 * INTEGRATION user. The token comes from POST /auth/login, is renewed with /auth/refresh before it expires
 * (one renewal at a time: a refresh token is spent on use) and fetched again once when the graph answers
 * UNAUTHENTICATED. Failures are classified for the ACK: the graph's BAD_USER_INPUT, NOT_FOUND, CONFLICT
 * and PAYLOAD_TOO_LARGE are content (AE); UNAVAILABLE, 5xx, timeouts, network errors, a refused login and
 * anything unexpected are unavailable (AR).
 */
export function createGraphLabResultsSink(options: GraphSinkOptions): LabResultsSink {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  const graphUrl = new URL(options.graphUrl);
  const loginUrl = new URL('/auth/login', graphUrl);
  const refreshUrl = new URL('/auth/refresh', graphUrl);
  let tokens: Tokens | undefined;
  let pending: Promise<Tokens> | undefined;

  async function post(url: URL, body: unknown, headers: Record<string, string> = {}) {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as { name?: unknown })?.name === 'TimeoutError';
      throw unavailableFailure(
        timedOut ? `The graph did not answer within ${timeoutMs} ms` : 'The graph cannot be reached',
        { code: timedOut ? 'TIMEOUT' : 'NETWORK' },
        error,
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw unavailableFailure('The graph closed the answer early', { code: 'NETWORK' }, error);
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  }

  async function login(): Promise<Tokens> {
    const { status, json } = await post(loginUrl, { username: options.username, password: options.password });
    const fresh = status === 200 ? tokensOf(json, now()) : undefined;
    if (fresh) {
      options.logger?.debug('graph login');
      return fresh;
    }
    if (status === 401 || status === 403) {
      options.logger?.error({ status }, 'graph login refused: check HL7_USERNAME and HL7_PASSWORD');
      throw unavailableFailure('The bridge cannot log in to the graph', { code: 'UNAUTHENTICATED' });
    }
    throw unavailableFailure(`Login answered HTTP ${status}`, { code: String(status) });
  }

  async function renew(current: Tokens | undefined): Promise<Tokens> {
    if (current?.refreshToken && now() < current.refreshExpiresAt) {
      const { status, json } = await post(refreshUrl, { refreshToken: current.refreshToken });
      const fresh = status === 200 ? tokensOf(json, now()) : undefined;
      if (fresh) {
        options.logger?.debug('graph token refreshed');
        return fresh;
      }
      if (status !== 400 && status !== 401)
        throw unavailableFailure(`Token refresh answered HTTP ${status}`, { code: String(status) });
      // The refresh token is spent, expired or revoked: log in again.
    }
    return login();
  }

  /**
   * A token to use now; one renewal in flight at a time, shared by every caller. `refused` is a token the
   * graph just turned down: another one is fetched unless a concurrent call already did.
   */
  function accessToken(refused?: string): Promise<string> {
    if (tokens && tokens.accessToken !== refused && now() < tokens.renewAt)
      return Promise.resolve(tokens.accessToken);
    if (!pending) {
      const current = tokens;
      tokens = undefined;
      pending = renew(current).then(
        (fresh) => {
          tokens = fresh;
          pending = undefined;
          return fresh;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
    }
    return pending.then((fresh) => fresh.accessToken);
  }

  async function attempt(input: RecordLabResultsInput, token: string) {
    const { status, json } = await post(
      graphUrl,
      { query: recordLabResultsMutation, variables: { input }, operationName: 'RecordLabResults' },
      { authorization: `Bearer ${token}` },
    );
    const body = (typeof json === 'object' && json !== null ? json : {}) as {
      data?: { recordLabResults?: { duplicate?: unknown; observations?: unknown } | null } | null;
      errors?: GraphQLErrorShape[];
    };
    const payload = body.data?.recordLabResults;
    if (payload && typeof payload.duplicate === 'boolean' && Array.isArray(payload.observations))
      return {
        outcome: {
          duplicate: payload.duplicate,
          stored: payload.duplicate ? 0 : payload.observations.length,
        },
      };
    const first = Array.isArray(body.errors) ? body.errors[0] : undefined;
    const code = asString(first?.extensions?.code);
    if (code === 'UNAUTHENTICATED' || (status === 401 && code === undefined))
      return { unauthenticated: true };
    const details: SinkFailureDetails = { code: code ?? String(status) };
    const rule = asString(first?.extensions?.rule);
    const field = asString(first?.extensions?.field);
    if (rule) details.rule = rule;
    if (field) details.field = field;
    const message = asString(first?.message) ?? `The graph answered HTTP ${status}`;
    if (code !== undefined && contentCodes.has(code)) throw contentFailure(message, details);
    if (status === 413) throw contentFailure(message, { ...details, code: 'PAYLOAD_TOO_LARGE' });
    throw unavailableFailure(message, details);
  }

  return {
    async record(input) {
      try {
        const token = await accessToken();
        const first = await attempt(input, token);
        if (first.outcome) return first.outcome;
        // The token was refused (expired early, keys rotated, revoked): once more with a fresh one.
        const second = await attempt(input, await accessToken(token));
        if (second.outcome) return second.outcome;
        throw unavailableFailure("The graph refused the bridge's fresh token", { code: 'UNAUTHENTICATED' });
      } catch (error) {
        if (error instanceof LabResultsSinkError) throw error;
        throw unavailableFailure('The graph call failed', {}, error);
      }
    },
  };
}
