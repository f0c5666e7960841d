import { AppError, conflict, likePrefix } from '@hsg/kit';
import type { Role } from '@hsg/kit/auth';
import {
  type AnyKysely,
  countRows,
  isUniqueViolation,
  lockExpectedVersion,
  type SqlDatabase,
} from '@hsg/kit/sql';
import type { JWK } from 'jose';
import { type Kysely, sql } from 'kysely';
import type {
  AuditEntry,
  AuditFilter,
  RefreshFamily,
  RefreshToken,
  RefreshTokenWithFamily,
  SigningKey,
  User,
  UserFilter,
} from './model.ts';
import type { IdentityStore } from './store.ts';

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  patient_id: string | null;
  doctor_id: string | null;
  active: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface SigningKeyRow {
  kid: string;
  public_jwk: JWK;
  private_jwk: JWK | null;
  created_at: Date;
  retired_at: Date | null;
}

interface RefreshFamilyRow {
  id: string;
  user_id: string;
  created_at: Date;
  revoked_at: Date | null;
}

interface RefreshTokenRow {
  token_hash: string;
  family_id: string;
  issued_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

interface ThrottleRow {
  subject: string;
  failures: number;
  last_failure_at: Date;
}

/** One row of the append-only audit trail (migrations/0002_audit_trail.sql). */
export interface AuditEntryRow {
  id: string;
  at: Date;
  user_id: string;
  role: Role;
  patient_id: string | null;
  subgraph: string;
  operation_name: string | null;
  root_fields: string[];
  operation_type: AuditEntry['operationType'];
  fields: string[];
  outcome: AuditEntry['outcome'];
  trace_id: string | null;
  event_id: string;
}

export interface Tables {
  users: UserRow;
  signing_keys: SigningKeyRow;
  refresh_families: RefreshFamilyRow;
  refresh_tokens: RefreshTokenRow;
  login_throttle: ThrottleRow;
  audit_entries: AuditEntryRow;
}

const toAuditEntry = (row: AuditEntryRow): AuditEntry => ({
  id: row.id,
  at: row.at,
  userId: row.user_id,
  role: row.role,
  patientId: row.patient_id,
  subgraph: row.subgraph,
  operationName: row.operation_name,
  rootFields: row.root_fields,
  operationType: row.operation_type,
  fields: row.fields,
  outcome: row.outcome,
  traceId: row.trace_id,
});

const toAuditEntryRow = ({ eventId, ...entry }: AuditEntry & { eventId: string }): AuditEntryRow => ({
  id: entry.id,
  at: entry.at,
  user_id: entry.userId,
  role: entry.role,
  patient_id: entry.patientId,
  subgraph: entry.subgraph,
  operation_name: entry.operationName,
  root_fields: entry.rootFields,
  operation_type: entry.operationType,
  fields: entry.fields,
  outcome: entry.outcome,
  trace_id: entry.traceId,
  event_id: eventId,
});

const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  role: row.role,
  patientId: row.patient_id,
  doctorId: row.doctor_id,
  active: row.active,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toKey = (row: SigningKeyRow): SigningKey => ({
  kid: row.kid,
  publicJwk: row.public_jwk,
  privateJwk: row.private_jwk,
  createdAt: row.created_at,
  retiredAt: row.retired_at,
});

/** jsonb columns take the JSON text (the drivers would send an object as a Postgres array literal). */
const jsonb = (value: JWK | null): JWK | null =>
  value === null ? null : (JSON.stringify(value) as unknown as JWK);

/** Thrown inside beginAttempt's transaction to roll back what it counted before meeting a lock. */
class Locked extends Error {
  readonly retryAt: Date;
  constructor(retryAt: Date) {
    super('locked');
    this.retryAt = retryAt;
  }
}

export function createSqlIdentityStore(database: SqlDatabase): IdentityStore {
  const db = database.db as Kysely<Tables>;

  function filtered(filter: UserFilter) {
    let query = db.selectFrom('users');
    if (filter.role) query = query.where('role', '=', filter.role);
    if (typeof filter.active === 'boolean') query = query.where('active', '=', filter.active);
    if (filter.username) query = query.where('username', 'like', likePrefix(filter.username));
    return query;
  }

  function auditFiltered(filter: AuditFilter) {
    let query = db.selectFrom('audit_entries');
    if (filter.patientId) query = query.where('patient_id', '=', filter.patientId);
    if (filter.userId) query = query.where('user_id', '=', filter.userId);
    if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
    if (filter.from) query = query.where('at', '>=', filter.from);
    if (filter.to) query = query.where('at', '<', filter.to);
    return query;
  }

  const credentials = (row: UserRow | undefined) =>
    row && { user: toUser(row), passwordHash: row.password_hash };

  return {
    async findByIds(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', sql<string>`any(${sql.val([...ids])}::uuid[])`)
        .execute();
      return rows.map(toUser);
    },

    async findByUsername(username) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', username)
        .executeTakeFirst();
      return row && toUser(row);
    },

    async credentialsByUsername(username) {
      return credentials(
        await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst(),
      );
    },

    async credentialsById(id) {
      return credentials(await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst());
    },

    async search(filter, first, afterUsername) {
      let query = filtered(filter).selectAll();
      if (afterUsername !== undefined) query = query.where('username', '>', afterUsername);
      const rows = await query
        .orderBy('username')
        .limit(first + 1)
        .execute();
      return { users: rows.slice(0, first).map(toUser), hasNextPage: rows.length > first };
    },

    count: (filter) => countRows(filtered(filter)),

    async countActiveAdmins() {
      return countRows(filtered({ role: 'ADMIN', active: true }));
    },

    async insertUser(user, passwordHash) {
      try {
        await db
          .insertInto('users')
          .values({
            id: user.id,
            username: user.username,
            password_hash: passwordHash,
            role: user.role,
            patient_id: user.patientId,
            doctor_id: user.doctorId,
            active: user.active,
            version: user.version,
            created_at: user.createdAt,
            updated_at: user.updatedAt,
          })
          .execute();
        return user;
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict('username is already taken', { field: 'username', rule: 'USERNAME_TAKEN' });
        throw error;
      }
    },

    updateUser(next, expectedVersion) {
      return database.transaction(async (trx) => {
        if (!(await lockExpectedVersion(trx, 'users', next.id, expectedVersion, 'user'))) return undefined;
        await trx
          .updateTable('users')
          .set({
            role: next.role,
            patient_id: next.patientId,
            doctor_id: next.doctorId,
            active: next.active,
            version: next.version,
            updated_at: next.updatedAt,
          })
          .where('id', '=', next.id)
          .execute();
        return next;
      });
    },

    async setPasswordHash(id, passwordHash, at) {
      const row = await db
        .updateTable('users')
        .set((eb) => ({ password_hash: passwordHash, version: eb('version', '+', 1), updated_at: at }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toUser(row);
    },

    async activeKey() {
      const row = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      return row && toKey(row);
    },

    async keys() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
      return rows.map(toKey);
    },

    async publishedKeys(retiredAfter) {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', retiredAfter)]))
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map(toKey);
    },

    async activateKey(key) {
      try {
        await database.transaction(async (trx) => {
          await trx
            .updateTable('signing_keys')
            .set({ retired_at: key.createdAt })
            .where('retired_at', 'is', null)
            .execute();
          await trx
            .insertInto('signing_keys')
            .values({
              kid: key.kid,
              public_jwk: jsonb(key.publicJwk) as JWK,
              private_jwk: jsonb(key.privateJwk),
              created_at: key.createdAt,
              retired_at: null,
            })
            .execute();
        });
        return { ...key, retiredAt: null };
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('CONFLICT', 'Another signing key was made active at the same time', {
            retriable: true,
            details: { rule: 'CONCURRENT_ROTATION' },
          });
        throw error;
      }
    },

    async forgetPrivateKeys(retiredBefore) {
      const result = await db
        .updateTable('signing_keys')
        .set({ private_jwk: null })
        .where('retired_at', '<', retiredBefore)
        .where('private_jwk', 'is not', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async startRefreshFamily(family, token) {
      await database.transaction(async (trx) => {
        await trx
          .insertInto('refresh_families')
          .values({
            id: family.id,
            user_id: family.userId,
            created_at: family.createdAt,
            revoked_at: family.revokedAt,
          })
          .execute();
        await trx.insertInto('refresh_tokens').values(tokenRow(token)).execute();
      });
    },

    async findRefreshToken(tokenHash) {
      const row = await db
        .selectFrom('refresh_tokens as t')
        .innerJoin('refresh_families as f', 'f.id', 't.family_id')
        .select([
          't.token_hash',
          't.family_id',
          't.issued_at',
          't.expires_at',
          't.used_at',
          'f.user_id',
          'f.created_at',
          'f.revoked_at',
        ])
        .where('t.token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) return undefined;
      const family: RefreshFamily = {
        id: row.family_id,
        userId: row.user_id,
        createdAt: row.created_at,
        revokedAt: row.revoked_at,
      };
      const token: RefreshTokenWithFamily = {
        tokenHash: row.token_hash,
        familyId: row.family_id,
        issuedAt: row.issued_at,
        expiresAt: row.expires_at,
        usedAt: row.used_at,
        family,
      };
      return token;
    },

    rotateRefreshToken(tokenHash, next, at) {
      return database.transaction(async (trx) => {
        // The family's row first: a concurrent revocation waits for this exchange, then sees its new token.
        const { rows } = await sql<{ revoked_at: Date | null }>`
          select f.revoked_at from refresh_families f
          where f.id = (select family_id from refresh_tokens where token_hash = ${tokenHash})
          for update`.execute(trx);
        const family = rows[0];
        if (!family || family.revoked_at !== null) return 'revoked' as const;
        const used = await trx
          .updateTable('refresh_tokens')
          .set({ used_at: at })
          .where('token_hash', '=', tokenHash)
          .where('used_at', 'is', null)
          .executeTakeFirst();
        if (Number(used.numUpdatedRows) === 0) return 'reused' as const;
        await trx.insertInto('refresh_tokens').values(tokenRow(next)).execute();
        return 'rotated' as const;
      });
    },

    async revokeFamily(familyId, at) {
      await db
        .updateTable('refresh_families')
        .set({ revoked_at: at })
        .where('id', '=', familyId)
        .where('revoked_at', 'is', null)
        .execute();
    },

    async revokeUserFamilies(userId, at) {
      const result = await db
        .updateTable('refresh_families')
        .set({ revoked_at: at })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async deleteExpiredRefreshTokens(expiredBefore) {
      return database.transaction(async (trx) => {
        const deleted = await trx
          .deleteFrom('refresh_tokens')
          .where('expires_at', '<', expiredBefore)
          .executeTakeFirst();
        await trx
          .deleteFrom('refresh_families')
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('refresh_tokens')
                  .select('refresh_tokens.token_hash')
                  .whereRef('refresh_tokens.family_id', '=', 'refresh_families.id'),
              ),
            ),
          )
          .where('created_at', '<', expiredBefore)
          .execute();
        return Number(deleted.numDeletedRows);
      });
    },

    async beginAttempt(subjects, at, lockoutMs) {
      const windowStart = new Date(at.getTime() - lockoutMs);
      // One order for every transaction, so two attempts never wait on each other's rows crosswise.
      const ordered = [...subjects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      try {
        return await database.transaction(async (trx) => {
          let priorFailures = 0;
          for (const subject of ordered) {
            // Counts the attempt unless the subject is locked (then no row comes back and nothing changes).
            const { rows } = await sql<{ failures: number }>`
              insert into login_throttle as t (subject, failures, last_failure_at)
              values (${subject.key}, 1, ${at})
              on conflict (subject) do update set
                failures = case when t.last_failure_at <= ${windowStart} then 1 else t.failures + 1 end,
                last_failure_at = ${at}
              where t.last_failure_at <= ${windowStart} or t.failures < ${subject.lockAfter}
              returning failures`.execute(trx);
            const counted = rows[0];
            if (!counted) {
              const row = await trx
                .selectFrom('login_throttle')
                .select('last_failure_at')
                .where('subject', '=', subject.key)
                .executeTakeFirstOrThrow();
              throw new Locked(new Date(row.last_failure_at.getTime() + lockoutMs));
            }
            priorFailures = Math.max(priorFailures, Number(counted.failures) - 1);
          }
          return { locked: false as const, priorFailures };
        });
      } catch (error) {
        if (error instanceof Locked) return { locked: true, retryAt: error.retryAt };
        throw error;
      }
    },

    async attemptSucceeded(usernameKey, addressKey) {
      await database.transaction(async (trx) => {
        await trx.deleteFrom('login_throttle').where('subject', '=', usernameKey).execute();
        await trx
          .updateTable('login_throttle')
          .set((eb) => ({ failures: sql<number>`greatest(${eb.ref('failures')} - 1, 0)` }))
          .where('subject', '=', addressKey)
          .execute();
      });
    },

    async resetThrottle(key) {
      await db.deleteFrom('login_throttle').where('subject', '=', key).execute();
    },

    async deleteStaleThrottles(before) {
      const result = await db
        .deleteFrom('login_throttle')
        .where('last_failure_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async auditEntries(filter, first, after) {
      let query = auditFiltered(filter).selectAll();
      if (after)
        query = query.where((eb) =>
          eb(eb.refTuple('at', 'id'), '<', eb.tuple(after.at, sql<string>`${after.id}::uuid`)),
        );
      const rows = await query
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(first + 1)
        .execute();
      return { entries: rows.slice(0, first).map(toAuditEntry), hasNextPage: rows.length > first };
    },

    countAuditEntries: (filter) => countRows(auditFiltered(filter)),

    appendAuditEntries: (entries) => insertAuditEntries(db, entries.map(toAuditEntryRow)),
  };
}

/** audit_entries' columns with their types, as jsonb_to_recordset reads a row. */
const entryTypes = {
  id: 'uuid',
  at: 'timestamptz',
  user_id: 'text',
  role: 'text',
  patient_id: 'text',
  subgraph: 'text',
  operation_name: 'text',
  root_fields: 'text[]',
  operation_type: 'text',
  fields: 'text[]',
  outcome: 'text',
  trace_id: 'text',
  event_id: 'text',
} satisfies Record<keyof AuditEntryRow, string>;
const entryColumns = Object.keys(entryTypes);
const entryRecordType = Object.entries(entryTypes)
  .map(([column, type]) => `${column} ${type}`)
  .join(', ');

/**
 * Appends trail entries in one statement, every row in one parameter: an event of a busy subgraph holds
 * hundreds, and a VALUES list binds thirteen parameters for each (most of the consumer's time went there).
 */
export async function insertAuditEntries(db: AnyKysely, rows: readonly AuditEntryRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into audit_entries (${sql.join(entryColumns.map((column) => sql.ref(column)))})
    select ${sql.join(entryColumns.map((column) => sql.ref(column)))}
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as entry(${sql.raw(entryRecordType)})`.execute(
    db,
  );
}

const tokenRow = (token: RefreshToken): RefreshTokenRow => ({
  token_hash: token.tokenHash,
  family_id: token.familyId,
  issued_at: token.issuedAt,
  expires_at: token.expiresAt,
  used_at: token.usedAt,
});
