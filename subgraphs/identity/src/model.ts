import type { Role } from '@hsg/kit/auth';
import type { JWK } from 'jose';

export type { Role };

/** A username, once trimmed and lower-cased. */
export const usernamePattern = /^[a-z0-9._-]{3,64}$/;
/** At most what the graph's strict input lets through anyway (defaultInputLimits). */
export const passwordLength = { min: 12, max: 1000 } as const;

/** A person or system that logs in. The password hash is not part of it (see UserCredentials). */
export interface User {
  id: string;
  /** Lower-case, 3-64 of a-z 0-9 . _ - */
  username: string;
  role: Role;
  /** PATIENT: the patient record (patient subgraph) this user is. */
  patientId: string | null;
  /** CLINICIAN: the doctor record (doctor subgraph) this user is. */
  doctorId: string | null;
  active: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What a login checks: the user and their argon2id hash. Never leaves the identity subgraph. */
export interface UserCredentials {
  user: User;
  passwordHash: string;
}

export interface UserFilter {
  role?: Role | null;
  active?: boolean | null;
  /** Prefix of the username, case-insensitive. */
  username?: string | null;
}

/** A page of users in username order (keyset paging on the unique username). */
export interface UserPage {
  users: User[];
  hasNextPage: boolean;
}

export interface SigningKey {
  kid: string;
  /** The public JWK as published in the JWKS (kid, alg ES256, use sig). */
  publicJwk: JWK;
  /** Null once it is no longer needed (no token it signed can still be live). */
  privateJwk: JWK | null;
  createdAt: Date;
  /** When a newer key took over signing; null for the active key. */
  retiredAt: Date | null;
}

/** One login's chain of refresh tokens. */
export interface RefreshFamily {
  id: string;
  userId: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface RefreshToken {
  /** SHA-256 of the opaque token, hex. */
  tokenHash: string;
  familyId: string;
  issuedAt: Date;
  expiresAt: Date;
  /** When it was exchanged for a new pair. */
  usedAt: Date | null;
}

/** A refresh token with its family, as a refresh or a logout looks it up. */
export interface RefreshTokenWithFamily extends RefreshToken {
  family: RefreshFamily;
}

/** A throttled subject (a username or a client address) and how many failures lock it. */
export interface ThrottleSubject {
  key: string;
  lockAfter: number;
}

export type AttemptOutcome =
  /** The attempt is counted; priorFailures decides the delay before the password is checked. */
  | { locked: false; priorFailures: number }
  /** Locked: the attempt is refused without checking anything, and not counted. */
  | { locked: true; retryAt: Date };

export type AuditOutcome = 'ALLOWED' | 'DENIED';
export type AuditOperationType = 'READ' | 'WRITE';

/** One patient's part of one request at one subgraph, as the audit trail keeps it (ADR 0017). */
export interface AuditEntry {
  id: string;
  /** When the request began. */
  at: Date;
  userId: string;
  role: Role;
  /** Null for a refusal whose patient is not known. */
  patientId: string | null;
  subgraph: string;
  operationName: string | null;
  rootFields: string[];
  operationType: AuditOperationType;
  /** `Type.field` of every top-level field asked of the patient's objects (or refused). */
  fields: string[];
  outcome: AuditOutcome;
  traceId: string | null;
}

export interface AuditFilter {
  patientId?: string | null;
  userId?: string | null;
  outcome?: AuditOutcome | null;
  /** At or after this instant. */
  from?: Date | null;
  /** Before this instant. */
  to?: Date | null;
}

/** Keyset position in the newest-first trail. */
export interface AuditCursor {
  at: Date;
  id: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  hasNextPage: boolean;
}
