import { randomUUID } from 'node:crypto';
import { type AccessTokenClaims, type Role, tokenAudience, tokenIssuer } from '@hsg/kit/auth';
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose';

export interface TokenRequest {
  role: Role;
  /** The linked patient (PATIENT). */
  patientId?: string;
  /** The linked doctor (CLINICIAN). */
  doctorId?: string;
  userId?: string;
  /** Seconds from now; negative for an expired token. Default 900. */
  expiresIn?: number;
}

/** A signing key of a test's own, standing in for the identity subgraph's. */
export interface TestKeys {
  /** The public half, for `auth: { jwks }` of a subgraph under test. */
  jwks: JSONWebKeySet;
  /** An access token as identity would sign it. */
  tokenFor(request: TokenRequest): Promise<string>;
  /** `{ authorization: 'Bearer …' }` for that token. */
  headersFor(request: TokenRequest): Promise<Record<string, string>>;
}

export async function createTestKeys(kid = `test-${randomUUID().slice(0, 8)}`): Promise<TestKeys> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const tokenFor = async ({ role, patientId, doctorId, userId, expiresIn = 900 }: TokenRequest) => {
    const claims: AccessTokenClaims = {
      role,
      ...(patientId ? { pid: patientId } : {}),
      ...(doctorId ? { did: doctorId } : {}),
    };
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(tokenIssuer)
      .setAudience(tokenAudience)
      .setSubject(userId ?? randomUUID())
      .setIssuedAt(now - (expiresIn < 0 ? 1000 : 0))
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(privateKey);
  };
  return {
    jwks,
    tokenFor,
    headersFor: async (request) => ({ authorization: `Bearer ${await tokenFor(request)}` }),
  };
}

let shared: Promise<TestKeys> | undefined;

/** One key set per test process: what the suite helpers (useSubgraph) give every subgraph they start. */
export const sharedTestKeys = (): Promise<TestKeys> => {
  shared ??= createTestKeys('shared-test-key');
  return shared;
};
