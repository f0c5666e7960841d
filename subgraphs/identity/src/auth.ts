import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '@hsg/kit';
import type { AccessTokenClaims } from '@hsg/kit/auth';
import { v7 as uuidv7 } from 'uuid';
import type { IdentitySettings } from './env.ts';
import type { KeyRing } from './keys.ts';
import type { RefreshToken, User } from './model.ts';
import type { PasswordHasher } from './passwords.ts';
import type { IdentityStore } from './store.ts';
import type { Throttle } from './throttle.ts';

/** What a login or a refresh answers (the HTTP body as is). */
export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds the access token is valid. */
  expiresIn: number;
  refreshToken: string;
  /** Seconds the refresh token is valid. */
  refreshExpiresIn: number;
  user: {
    id: string;
    username: string;
    role: User['role'];
    patientId: string | null;
    doctorId: string | null;
  };
}

export type LoginOutcome =
  | { ok: true; tokens: TokenPair }
  | { ok: false; error: 'invalid_credentials' }
  | { ok: false; error: 'too_many_attempts'; retryAfterSeconds: number };

export type RefreshOutcome = { ok: true; tokens: TokenPair } | { ok: false; error: 'invalid_grant' };

export interface AuthServiceDeps {
  store: IdentityStore;
  keys: KeyRing;
  passwords: PasswordHasher;
  throttle: Throttle;
  clock: () => Date;
  settings: Pick<IdentitySettings, 'ACCESS_TOKEN_TTL_SECONDS' | 'REFRESH_TOKEN_TTL_SECONDS'>;
  logger: Logger;
  /** Waits before a throttled attempt's password check (tests pass one that only records). */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The stored form of a refresh token: its SHA-256, hex. The token itself is never stored or logged. */
export const refreshTokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

export const claimsOf = (user: User): AccessTokenClaims => ({
  role: user.role,
  ...(user.patientId ? { pid: user.patientId } : {}),
  ...(user.doctorId ? { did: user.doctorId } : {}),
});

/**
 * Password login, refresh-token rotation with reuse detection, and logout. A login that fails says the
 * same for an unknown user, a wrong password and an inactive user, after the same work (an argon2 verify
 * against a dummy hash for an unknown user), and logs no username: people type passwords into it.
 */
export function createAuthService(deps: AuthServiceDeps) {
  const { store, keys, passwords, throttle, clock, settings, logger } = deps;
  const sleep = deps.sleep ?? realSleep;
  const refreshTtlMs = settings.REFRESH_TOKEN_TTL_SECONDS * 1000;

  function newRefreshToken(familyId: string, issuedAt: Date): { token: string; record: RefreshToken } {
    const token = randomBytes(32).toString('base64url');
    return {
      token,
      record: {
        tokenHash: refreshTokenHash(token),
        familyId,
        issuedAt,
        expiresAt: new Date(issuedAt.getTime() + refreshTtlMs),
        usedAt: null,
      },
    };
  }

  async function pairFor(user: User, refreshToken: string): Promise<TokenPair> {
    const { token } = await keys.sign(user.id, claimsOf(user));
    return {
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn: settings.ACCESS_TOKEN_TTL_SECONDS,
      refreshToken,
      refreshExpiresIn: settings.REFRESH_TOKEN_TTL_SECONDS,
      user: {
        id: user.id,
        username: user.username,
        role: user.role,
        patientId: user.patientId,
        doctorId: user.doctorId,
      },
    };
  }

  return {
    async login(input: { username: string; password: string; address: string }): Promise<LoginOutcome> {
      const started = clock();
      const attempt = await throttle.begin(input.username, input.address, started);
      if (attempt.locked) {
        logger.warn({ event: 'login', outcome: 'locked', clientIp: input.address }, 'login refused: locked');
        return {
          ok: false,
          error: 'too_many_attempts',
          retryAfterSeconds: throttle.retryAfterSeconds(attempt.retryAt, started),
        };
      }
      const delay = throttle.delayMs(attempt.priorFailures);
      if (delay > 0) await sleep(delay);

      const username = input.username.trim().toLowerCase();
      const found = await store.credentialsByUsername(username);
      let verified = false;
      if (found) verified = await passwords.verify(found.passwordHash, input.password);
      else await passwords.verifyDummy(input.password);
      if (!found || !verified || !found.user.active) {
        logger.info(
          {
            event: 'login',
            outcome: 'invalid_credentials',
            clientIp: input.address,
            failures: attempt.priorFailures + 1,
          },
          'login failed',
        );
        return { ok: false, error: 'invalid_credentials' };
      }

      const user = found.user;
      await throttle.succeeded(input.username, input.address);
      const now = clock();
      const family = { id: uuidv7(), userId: user.id, createdAt: now, revokedAt: null };
      const refresh = newRefreshToken(family.id, now);
      await store.startRefreshFamily(family, refresh.record);
      logger.info({ event: 'login', outcome: 'success', userId: user.id, role: user.role }, 'login');
      return { ok: true, tokens: await pairFor(user, refresh.token) };
    },

    async refresh(refreshToken: string): Promise<RefreshOutcome> {
      const invalid = { ok: false, error: 'invalid_grant' } as const;
      const now = clock();
      const found = await store.findRefreshToken(refreshTokenHash(refreshToken));
      if (!found || found.family.revokedAt !== null || found.expiresAt <= now) return invalid;
      const revoke = async (reason: string) => {
        await store.revokeFamily(found.familyId, now);
        logger.warn(
          { event: 'refresh', outcome: reason, userId: found.family.userId, familyId: found.familyId },
          'refresh token family revoked',
        );
        return invalid;
      };
      if (found.usedAt !== null) return revoke('reused');
      const [user] = await store.findByIds([found.family.userId]);
      if (!user?.active) return revoke('inactive_user');
      const next = newRefreshToken(found.familyId, now);
      const outcome = await store.rotateRefreshToken(found.tokenHash, next.record, now);
      if (outcome === 'revoked') return invalid;
      if (outcome === 'reused') return revoke('reused');
      return { ok: true, tokens: await pairFor(user, next.token) };
    },

    /** Ends the session the token belongs to (its whole family); unknown tokens are fine. */
    async logout(refreshToken: string): Promise<void> {
      const found = await store.findRefreshToken(refreshTokenHash(refreshToken));
      if (!found) return;
      await store.revokeFamily(found.familyId, clock());
      logger.info({ event: 'logout', userId: found.family.userId }, 'logout');
    },

    /** An access token for a user, without a password (tests, trusted tools). */
    async issueAccessToken(user: User): Promise<string> {
      return (await keys.sign(user.id, claimsOf(user))).token;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
