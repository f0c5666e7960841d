import {
  AppError,
  badUserInput,
  conflict,
  forbidden,
  isUuid,
  type Logger,
  notFound,
  unauthenticated,
} from '@hsg/kit';
import { isRole, type Principal, type Role } from '@hsg/kit/auth';
import { cursorCodec, validPageSize } from '@hsg/kit/graphql';
import { v7 as uuidv7 } from 'uuid';
import type { KeyRing } from './keys.ts';
import { passwordLength, type User, type UserFilter, usernamePattern } from './model.ts';
import type { PasswordHasher } from './passwords.ts';
import type { IdentityStore } from './store.ts';
import type { Throttle } from './throttle.ts';

export interface CreateUserInput {
  username: string;
  password: string;
  role: Role;
  patientId?: string | null;
  doctorId?: string | null;
}

export interface UpdateUserInput {
  role?: Role | null;
  /** PATIENT's patient; null or left out when the role changes away from PATIENT drops it. */
  patientId?: string | null;
  /** CLINICIAN's doctor; alike. */
  doctorId?: string | null;
  active?: boolean | null;
}

/** The scope every user-management operation needs (ADMIN's, see scopesOf in @hsg/kit/auth). */
export const manageUsers = 'users:manage';

/** Keyset cursor over the unique username. */
export const usernameCursor = cursorCodec<string>(
  (username) => [username],
  ([username]) => (typeof username === 'string' ? username : undefined),
);

export function normalizeUsername(value: string, field: string): string {
  const username = value.trim().toLowerCase();
  if (!usernamePattern.test(username))
    throw badUserInput(`${field} must be 3-64 characters of a-z 0-9 . _ -`, field);
  return username;
}

export function validPassword(value: string, field: string): string {
  if (value.length < passwordLength.min)
    throw badUserInput(`${field} must be at least ${passwordLength.min} characters`, field);
  if (value.length > passwordLength.max)
    throw badUserInput(`${field} must be at most ${passwordLength.max} characters`, field);
  if (value.trim() === '') throw badUserInput(`${field} must not be only spaces`, field);
  return value;
}

/** A PATIENT is linked to exactly one patient, a CLINICIAN to one doctor; no other role to either. */
function validLinks(
  role: Role,
  patientId: string | null | undefined,
  doctorId: string | null | undefined,
  prefix: string,
): { patientId: string | null; doctorId: string | null } {
  const link = (value: string | null | undefined, wanted: boolean, name: string, label: string) => {
    const field = `${prefix}.${name}`;
    const given = value === null || value === undefined || value.trim() === '' ? null : value.trim();
    if (wanted && given === null) throw badUserInput(`${field} is required for a ${role} user`, field);
    if (!wanted && given !== null)
      throw badUserInput(`${field} is only for ${label} users, not ${role}`, field);
    if (given !== null && !isUuid(given)) throw badUserInput(`${field} is not a valid id`, field);
    return given === null ? null : given.toLowerCase();
  };
  return {
    patientId: link(patientId, role === 'PATIENT', 'patientId', 'PATIENT'),
    doctorId: link(doctorId, role === 'CLINICIAN', 'doctorId', 'CLINICIAN'),
  };
}

export interface UserServiceDeps {
  store: IdentityStore;
  passwords: PasswordHasher;
  clock: () => Date;
  logger: Logger;
}

/**
 * User use cases for trusted callers (the bootstrap admin, demo data, and the checked operations below):
 * validation and state changes, no authorization. Who is acting is only recorded (`actor`).
 */
export function createUserService({ store, passwords, clock, logger }: UserServiceDeps) {
  async function requireExisting(id: string): Promise<User> {
    const [user] = isUuid(id) ? await store.findByIds([id.toLowerCase()]) : [];
    if (!user) throw notFound(`No user with id ${id}`);
    return user;
  }

  /** Refuses a change that would leave no active ADMIN (nobody could manage users any more). */
  async function keepAnAdmin(current: User, next: User): Promise<void> {
    const wasAdmin = current.role === 'ADMIN' && current.active;
    const staysAdmin = next.role === 'ADMIN' && next.active;
    if (wasAdmin && !staysAdmin && (await store.countActiveAdmins()) <= 1)
      throw conflict('This is the last active ADMIN: make another user ADMIN first', { rule: 'LAST_ADMIN' });
  }

  const audit = (event: string, actor: string | undefined, user: User, extra: Record<string, unknown> = {}) =>
    logger.info(
      { audit: event, actor: actor ?? 'system', userId: user.id, role: user.role, ...extra },
      event,
    );

  return {
    async create(input: CreateUserInput, actor?: string): Promise<User> {
      const username = normalizeUsername(input.username, 'input.username');
      const password = validPassword(input.password, 'input.password');
      if (!isRole(input.role)) throw badUserInput('input.role is not a role', 'input.role');
      const links = validLinks(input.role, input.patientId, input.doctorId, 'input');
      const now = clock();
      const user: User = {
        id: uuidv7(),
        username,
        role: input.role,
        ...links,
        active: true,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      const saved = await store.insertUser(user, await passwords.hash(password));
      audit('user.created', actor, saved);
      return saved;
    },

    async update(id: string, expectedVersion: number, input: UpdateUserInput, actor?: string): Promise<User> {
      const current = await requireExisting(id);
      const role = input.role ?? current.role;
      if (!isRole(role)) throw badUserInput('input.role is not a role', 'input.role');
      // A link left out is kept while the role still wants it, and dropped when the role no longer does.
      const links = validLinks(
        role,
        input.patientId !== undefined ? input.patientId : role === 'PATIENT' ? current.patientId : null,
        input.doctorId !== undefined ? input.doctorId : role === 'CLINICIAN' ? current.doctorId : null,
        'input',
      );
      const active = input.active ?? current.active;
      const next: User = {
        ...current,
        role,
        ...links,
        active,
        version: expectedVersion + 1,
        updatedAt: clock(),
      };
      await keepAnAdmin(current, next);
      const saved = await store.updateUser(next, expectedVersion);
      if (!saved) throw notFound(`No user with id ${id}`);
      if (current.active && !saved.active) await store.revokeUserFamilies(saved.id, clock());
      audit('user.updated', actor, saved, {
        changed: (['role', 'patientId', 'doctorId', 'active'] as const).filter(
          (field) => current[field] !== saved[field],
        ),
      });
      return saved;
    },

    /** Sets a new password and ends every session of the user (their refresh tokens). */
    async setPassword(id: string, password: string, actor?: string): Promise<User> {
      const valid = validPassword(password, 'password');
      await requireExisting(id);
      const saved = await store.setPasswordHash(id.toLowerCase(), await passwords.hash(valid), clock());
      if (!saved) throw notFound(`No user with id ${id}`);
      const sessions = await store.revokeUserFamilies(saved.id, clock());
      audit('user.password_set', actor, saved, { sessionsEnded: sessions });
      return saved;
    },

    /** Deactivates the user (no login, no refresh) and ends every session; already inactive: unchanged. */
    async deactivate(id: string, expectedVersion: number, actor?: string): Promise<User> {
      const current = await requireExisting(id);
      if (!current.active) return current;
      const next: User = { ...current, active: false, version: expectedVersion + 1, updatedAt: clock() };
      await keepAnAdmin(current, next);
      const saved = await store.updateUser(next, expectedVersion);
      if (!saved) throw notFound(`No user with id ${id}`);
      const sessions = await store.revokeUserFamilies(saved.id, clock());
      audit('user.deactivated', actor, saved, { sessionsEnded: sessions });
      return saved;
    },

    async byId(id: string): Promise<User | undefined> {
      if (!isUuid(id)) return undefined;
      const [user] = await store.findByIds([id.toLowerCase()]);
      return user;
    },

    byIds: (ids: string[]) => store.findByIds(ids),

    byUsername: (username: string) => store.findByUsername(username.trim().toLowerCase()),

    async search(filter: UserFilter | null | undefined, first: number, after: string | null | undefined) {
      validPageSize(first);
      const username = filter?.username?.trim().toLowerCase();
      const normalized: UserFilter = {
        role: filter?.role ?? null,
        active: filter?.active ?? null,
        username: username || null,
      };
      const page = await store.search(normalized, first, after ? usernameCursor.decode(after) : undefined);
      return { ...page, totalCount: () => store.count(normalized) };
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;

export interface IdentityDomainDeps {
  users: UserService;
  keys: KeyRing;
  store: IdentityStore;
  passwords: PasswordHasher;
  throttle: Throttle;
  clock: () => Date;
}

function authenticated(principal: Principal | undefined): Principal {
  if (!principal) throw unauthenticated();
  return principal;
}

function admin(principal: Principal | undefined): Principal {
  const caller = authenticated(principal);
  if (!caller.scopes.has(manageUsers)) throw forbidden('Only an ADMIN may manage users and keys');
  return caller;
}

/**
 * The operations of the graph, each checking its caller first: none → UNAUTHENTICATED, a role without
 * the scope → FORBIDDEN. The schema declares the same rules (@authenticated, @requiresScopes), which the
 * kit enforces generically; these checks stay as the defence under it. Resolvers only call these.
 */
export function createIdentityDomain({ users, keys, store, passwords, throttle, clock }: IdentityDomainDeps) {
  return {
    /** The caller's own user (undefined when the token's user no longer exists). */
    me: async (principal: Principal | undefined) => users.byId(authenticated(principal).userId),

    user: async (principal: Principal | undefined, id: string) => {
      admin(principal);
      return users.byId(id);
    },

    /** A User entity for the router: an ADMIN sees anyone, everyone else only themself. */
    async userReference(
      principal: Principal | undefined,
      id: string,
      load: (id: string) => Promise<User | undefined>,
    ) {
      const caller = authenticated(principal);
      if (!caller.scopes.has(manageUsers) && caller.userId !== id) throw forbidden('Not your user');
      return load(id);
    },

    users: async (
      principal: Principal | undefined,
      filter: UserFilter | null | undefined,
      first: number,
      after: string | null | undefined,
    ) => {
      admin(principal);
      return users.search(filter, first, after);
    },

    signingKeys: async (principal: Principal | undefined) => {
      admin(principal);
      return keys.list();
    },

    createUser: async (principal: Principal | undefined, input: CreateUserInput) =>
      users.create(input, admin(principal).userId),

    updateUser: async (
      principal: Principal | undefined,
      id: string,
      expectedVersion: number,
      input: UpdateUserInput,
    ) => users.update(id, expectedVersion, input, admin(principal).userId),

    setPassword: async (principal: Principal | undefined, id: string, password: string) =>
      users.setPassword(id, password, admin(principal).userId),

    deactivateUser: async (principal: Principal | undefined, id: string, expectedVersion: number) =>
      users.deactivate(id, expectedVersion, admin(principal).userId),

    rotateSigningKey: async (principal: Principal | undefined) => {
      admin(principal);
      return keys.rotate();
    },

    /**
     * The caller changes their own password, proving the current one. Wrong guesses count against the
     * username like failed logins (a stolen access token must not become a password oracle).
     */
    async changeMyPassword(
      principal: Principal | undefined,
      currentPassword: string,
      newPassword: string,
    ): Promise<boolean> {
      const caller = authenticated(principal);
      const next = validPassword(newPassword, 'newPassword');
      const found = isUuid(caller.userId) ? await store.credentialsById(caller.userId) : undefined;
      if (!found?.user.active) throw forbidden('This user cannot change its password');
      const now = clock();
      const attempt = await throttle.begin(found.user.username, undefined, now);
      if (attempt.locked)
        throw new AppError('FORBIDDEN', 'Too many failed password checks; try again later', {
          details: {
            rule: 'TOO_MANY_ATTEMPTS',
            retryAfterSeconds: throttle.retryAfterSeconds(attempt.retryAt, now),
          },
        });
      if (!(await passwords.verify(found.passwordHash, currentPassword)))
        throw badUserInput('currentPassword is not correct', 'currentPassword');
      await throttle.reset(found.user.username);
      if (currentPassword === next)
        throw badUserInput('newPassword must differ from the current one', 'newPassword');
      await users.setPassword(found.user.id, next, caller.userId);
      return true;
    },
  };
}

export type IdentityDomain = ReturnType<typeof createIdentityDomain>;
