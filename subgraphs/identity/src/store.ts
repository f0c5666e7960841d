import type {
  AttemptOutcome,
  AuditCursor,
  AuditEntry,
  AuditFilter,
  AuditPage,
  RefreshFamily,
  RefreshToken,
  RefreshTokenWithFamily,
  SigningKey,
  ThrottleSubject,
  User,
  UserCredentials,
  UserFilter,
  UserPage,
} from './model.ts';

/**
 * Where users, signing keys, refresh tokens and login throttling live. Every piece of state several
 * instances must agree on is here, none in memory. Implementation: SQL (`store-sql.ts`) on real Postgres
 * and on PGlite.
 */
export interface IdentityStore {
  findByIds(ids: readonly string[]): Promise<User[]>;
  findByUsername(username: string): Promise<User | undefined>;
  /** The user with their password hash, for a login or a password check. */
  credentialsByUsername(username: string): Promise<UserCredentials | undefined>;
  credentialsById(id: string): Promise<UserCredentials | undefined>;
  search(filter: UserFilter, first: number, afterUsername: string | undefined): Promise<UserPage>;
  count(filter: UserFilter): Promise<number>;
  countActiveAdmins(): Promise<number>;
  /** Throws CONFLICT on `username` when it is taken. */
  insertUser(user: User, passwordHash: string): Promise<User>;
  /**
   * Replaces the user if its version is still `expectedVersion`: undefined when it does not exist,
   * CONFLICT (STALE_VERSION) when the version moved on.
   */
  updateUser(next: User, expectedVersion: number): Promise<User | undefined>;
  /** Sets the hash and bumps the version; undefined when the user does not exist. */
  setPasswordHash(id: string, passwordHash: string, at: Date): Promise<User | undefined>;

  /** The one key that signs now. */
  activeKey(): Promise<SigningKey | undefined>;
  /** Every key, newest first. */
  keys(): Promise<SigningKey[]>;
  /** The active key and those retired after `retiredAfter`: the JWKS. */
  publishedKeys(retiredAfter: Date): Promise<SigningKey[]>;
  /**
   * Inserts a key that becomes the active one, retiring the active key (if any) at `key.createdAt`, in one
   * transaction. Throws CONFLICT (retriable) when another instance made a key active at the same time.
   */
  activateKey(key: SigningKey): Promise<SigningKey>;
  /** Drops the private half of keys retired before `retiredBefore`. */
  forgetPrivateKeys(retiredBefore: Date): Promise<number>;

  /** A login's family with its first token, together. */
  startRefreshFamily(family: RefreshFamily, token: RefreshToken): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenWithFamily | undefined>;
  /**
   * Exchanges `tokenHash` for `next` (same family): marks it used and inserts next, in one transaction that
   * holds the family's row. 'reused' when it was used already (or meanwhile), 'revoked' when its family is.
   */
  rotateRefreshToken(
    tokenHash: string,
    next: RefreshToken,
    at: Date,
  ): Promise<'rotated' | 'reused' | 'revoked'>;
  revokeFamily(familyId: string, at: Date): Promise<void>;
  /** Revokes every live family of the user (deactivation, a password change); how many. */
  revokeUserFamilies(userId: string, at: Date): Promise<number>;
  /** Removes tokens that expired before `expiredBefore`, and families left without tokens. */
  deleteExpiredRefreshTokens(expiredBefore: Date): Promise<number>;

  /**
   * Counts a login attempt against every subject, atomically: when any subject is locked (at least
   * `lockAfter` failures since `windowStart`), nothing is counted and the answer is when the lock ends
   * (its last failure + `lockoutMs`). Failures older than the window count as none.
   */
  beginAttempt(subjects: ThrottleSubject[], at: Date, lockoutMs: number): Promise<AttemptOutcome>;
  /** After a successful login: the username's counter is reset, the address's attempt taken back. */
  attemptSucceeded(usernameKey: string, addressKey: string): Promise<void>;
  /** Clears the subject's counter (a successful password check elsewhere). */
  resetThrottle(key: string): Promise<void>;
  /** Removes counters whose last failure is before `before`. */
  deleteStaleThrottles(before: Date): Promise<number>;

  /**
   * The audit trail, newest first (`at`, then id, both descending), after the cursor's entry. The trail is
   * append-only: its entries arrive through the audit consumer (audit-trail.ts); nothing here changes or
   * removes one, and the table's triggers refuse it anyway.
   */
  auditEntries(filter: AuditFilter, first: number, after: AuditCursor | undefined): Promise<AuditPage>;
  countAuditEntries(filter: AuditFilter): Promise<number>;
  /** Appends entries the trail writes itself (an ADMIN's read of it), `eventId` naming that read. */
  appendAuditEntries(entries: ReadonlyArray<AuditEntry & { eventId: string }>): Promise<void>;
}
