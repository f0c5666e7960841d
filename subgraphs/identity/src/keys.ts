import { randomUUID } from 'node:crypto';
import { isAppError } from '@hsg/kit';
import { type AccessTokenClaims, tokenAudience, tokenIssuer } from '@hsg/kit/auth';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from 'jose';
import type { SigningKey } from './model.ts';
import type { IdentityStore } from './store.ts';

export const signingAlgorithm = 'ES256';

/** How long an instance signs with the key it read before reading again (another may have rotated). */
const activeKeyCacheMs = 30_000;
/** Beyond the access token TTL, how long a retired key stays published (clock skew, the cache above). */
const publishMarginMs = 60_000;

export interface KeyRingOptions {
  store: IdentityStore;
  clock: () => Date;
  accessTokenTtlSeconds: number;
}

/** A fresh ES256 key pair as JWKs; the kid is the public key's RFC 7638 thumbprint. */
export async function generateSigningKey(createdAt: Date): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(signingAlgorithm, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg: signingAlgorithm, use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: signingAlgorithm },
    createdAt,
    retiredAt: null,
  };
}

/**
 * The signing keys: one active key signs; retired keys stay in the JWKS until every token they signed
 * has expired (access TTL + a margin), so a rotation never cuts a session short.
 */
export function createKeyRing({ store, clock, accessTokenTtlSeconds }: KeyRingOptions) {
  const publishWindowMs = accessTokenTtlSeconds * 1000 + publishMarginMs;
  let cached: { key: SigningKey; privateKey: ReturnType<typeof importJWK>; readAt: number } | undefined;

  const remember = (key: SigningKey) => {
    if (!key.privateJwk) throw new Error(`signing key ${key.kid} has no private part`);
    cached = { key, privateKey: importJWK(key.privateJwk, signingAlgorithm), readAt: clock().getTime() };
    return cached;
  };

  /** Makes a key active; when another instance did so at the same moment, that one is used. */
  async function activateNew(): Promise<SigningKey> {
    try {
      return await store.activateKey(await generateSigningKey(clock()));
    } catch (error) {
      if (!isAppError(error) || error.code !== 'CONFLICT') throw error;
      const other = await store.activeKey();
      if (!other) throw error;
      return other;
    }
  }

  async function current() {
    const now = clock().getTime();
    if (cached && now - cached.readAt < activeKeyCacheMs && now >= cached.readAt) return cached;
    const key = (await store.activeKey()) ?? (await activateNew());
    if (cached?.key.kid !== key.kid) return remember(key);
    cached.readAt = now;
    return cached;
  }

  return {
    /** The active key, made first when there is none (a fresh store). */
    async ensureActiveKey(): Promise<SigningKey> {
      return (await current()).key;
    },

    /** A new key signs from now on; the old one stays published until its tokens have expired. */
    async rotate(): Promise<SigningKey> {
      const key = await store.activateKey(await generateSigningKey(clock()));
      remember(key);
      return key;
    },

    /** The public keys a verifier needs: the active one and those retired within the window. */
    async jwks(): Promise<JSONWebKeySet> {
      const keys = await store.publishedKeys(new Date(clock().getTime() - publishWindowMs));
      return { keys: keys.map((key) => publicJwkOf(key)) };
    },

    list: () => store.keys(),

    /** Clears the private half of keys no live token can need any more. */
    forgetRetiredPrivateKeys: () => store.forgetPrivateKeys(new Date(clock().getTime() - publishWindowMs)),

    /** An access token: ES256, `kid` in the header, this system's issuer and audience. */
    async sign(subject: string, claims: AccessTokenClaims): Promise<{ token: string; expiresAt: Date }> {
      const { key, privateKey } = await current();
      const issuedAt = Math.floor(clock().getTime() / 1000);
      const expiresAt = issuedAt + accessTokenTtlSeconds;
      const token = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: signingAlgorithm, kid: key.kid })
        .setIssuer(tokenIssuer)
        .setAudience(tokenAudience)
        .setSubject(subject)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(randomUUID())
        .sign(await privateKey);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
  };
}

export type KeyRing = ReturnType<typeof createKeyRing>;

/** Only the public members, whatever was stored. */
function publicJwkOf(key: SigningKey): JWK {
  const { kty, crv, x, y } = key.publicJwk;
  return { kty, crv, x, y, kid: key.kid, alg: signingAlgorithm, use: 'sig' };
}
