import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { AppError, unauthenticated } from '../errors.ts';
import { isRole, type Principal, principalOf, tokenAudience, tokenIssuer } from './principal.ts';

export interface TokenVerifier {
  /**
   * The principal of a well-formed, correctly signed, unexpired access token of this system; otherwise
   * UNAUTHENTICATED saying why (expired, not ours), never which check of the signature failed.
   */
  verify(token: string): Promise<Principal>;
}

export type KeySource =
  /** The identity subgraph's (or the router's) JWKS: fetched on first use, again for an unknown `kid`. */
  | { jwksUrl: string }
  /** Keys at hand (tests, and identity itself). */
  | { jwks: JSONWebKeySet };

export interface TokenVerifierOptions {
  /** Seconds of clock difference tolerated between the signer and this process. */
  clockToleranceSeconds?: number;
  /** Verified tokens kept, so a client's next request costs a map lookup, not a signature check. */
  cacheSize?: number;
  now?: () => number;
}

const jwksCooldownMs = 1_000;

/** A token whose key id is not (yet) in the JWKS: UNAUTHENTICATED, unless the JWKS turns out to have it. */
class UnknownKeyError extends AppError {
  constructor() {
    super('UNAUTHENTICATED', 'The access token is not valid');
  }
}

/** What a verified token gives, kept until the token expires. */
interface Verified {
  principal: Principal;
  expiresAtMs: number;
}

/**
 * Verifies access tokens: ES256 only, this system's issuer and audience, a known role. Verified tokens are
 * cached until they expire (bounded; the oldest go first), so verifying costs once per token per process.
 */
export function createTokenVerifier(source: KeySource, options: TokenVerifierOptions = {}): TokenVerifier {
  const keys: JWTVerifyGetKey =
    'jwksUrl' in source
      ? createRemoteJWKSet(new URL(source.jwksUrl), {
          // A new key is picked up when a token names it, at most once per cooldown (so tokens with made-up
          // key ids cannot make every request fetch the JWKS); keys are kept 10 min.
          cooldownDuration: jwksCooldownMs,
          cacheMaxAge: 600_000,
          timeoutDuration: 5_000,
        })
      : createLocalJWKSet(source.jwks);
  const cacheSize = options.cacheSize ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Verified>();
  let cooldownOver: Promise<void> | undefined;
  let waiting = 0;
  const maxWaiting = 256;

  return {
    async verify(token) {
      const cached = cache.get(token);
      if (cached !== undefined) {
        if (cached.expiresAtMs > now()) return cached.principal;
        cache.delete(token);
        throw unauthenticated('The access token has expired');
      }
      const verified = await verifySignature(token, keys, options.clockToleranceSeconds ?? 5, now).catch(
        async (error: unknown) => {
          // A key rotated a moment ago: its first tokens may come within the cooldown of the last fetch.
          if (!(error instanceof UnknownKeyError) || !('jwksUrl' in source)) throw error;
          // One shared wait however many such tokens come (made-up key ids cost a second, not a fetch each),
          // and a bound on how many requests may hold it.
          if (waiting >= maxWaiting) throw error;
          waiting += 1;
          try {
            cooldownOver ??= new Promise<void>((resolve) => setTimeout(resolve, jwksCooldownMs)).finally(
              () => {
                cooldownOver = undefined;
              },
            );
            await cooldownOver;
          } finally {
            waiting -= 1;
          }
          return verifySignature(token, keys, options.clockToleranceSeconds ?? 5, now);
        },
      );
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(token, verified);
      return verified.principal;
    },
  };
}

async function verifySignature(
  token: string,
  keys: JWTVerifyGetKey,
  clockTolerance: number,
  now: () => number,
): Promise<Verified> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: tokenIssuer,
      audience: tokenAudience,
      algorithms: ['ES256'],
      clockTolerance,
      currentDate: new Date(now()),
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    const { sub, exp, role, pid, did } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof exp !== 'number' || !isRole(role))
      throw unauthenticated('The access token is not one of this system');
    const principal = principalOf(sub, {
      role,
      ...(typeof pid === 'string' ? { pid } : {}),
      ...(typeof did === 'string' ? { did } : {}),
    });
    return { principal, expiresAtMs: exp * 1000 };
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof errors.JWKSNoMatchingKey) throw new UnknownKeyError();
    if (error instanceof errors.JWTExpired) throw unauthenticated('The access token has expired');
    if (error instanceof errors.JWKSTimeout || isNetworkError(error))
      throw new AppError('UNAVAILABLE', 'The signing keys cannot be fetched right now', { cause: error });
    throw unauthenticated('The access token is not valid');
  }
}

const isNetworkError = (error: unknown) => error instanceof TypeError && /fetch failed/i.test(error.message);

/** The token of an `Authorization: Bearer <token>` header; undefined without one, null when malformed. */
export function bearerTokenOf(authorization: string | undefined): string | undefined | null {
  if (authorization === undefined || authorization === '') return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization);
  return match ? (match[1] as string) : null;
}
