import { randomUUID } from 'node:crypto';
import { AppError, EnvError, parseEnv, silentLogger } from '@hsg/kit';
import { type Principal, principalOf, type Role, roles } from '@hsg/kit/auth';
import { settingsOf } from '@hsg/kit/runtime';
import { runMigrations } from '@hsg/kit/sql';
import { pgliteBackend, setupTimeoutMs, uniqueName } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CreateUserInput } from '../src/domain.ts';
import { identitySettings } from '../src/env.ts';
import { createPasswordHasher, type PasswordHasher } from '../src/passwords.ts';
import type { IdentityStore } from '../src/store.ts';
import { createSqlIdentityStore } from '../src/store-sql.ts';
import { createIdentity, identityMigrations, identitySubgraph } from '../src/subgraph.ts';

const password = 'correct-horse-battery-2026';

/** The domain and the auth service on one PGlite schema, with a fixed clock and a sleep that only records. */
describe('identity domain', () => {
  const backend = pgliteBackend();
  let store: IdentityStore;
  let now = new Date('2026-12-01T09:00:00Z');
  const clock = () => now;
  const slept: number[] = [];
  const calls = { verify: 0, verifyDummy: 0 };
  const make = (settings: Parameters<typeof settingsOf<typeof identitySubgraph>>[1] = {}) => {
    const real = createPasswordHasher();
    const passwords: PasswordHasher = {
      hash: real.hash,
      verify: (hash, secret) => {
        calls.verify++;
        return real.verify(hash, secret);
      },
      verifyDummy: (secret) => {
        calls.verifyDummy++;
        return real.verifyDummy(secret);
      },
    };
    return createIdentity({
      store,
      clock,
      settings: settingsOf(identitySubgraph, settings),
      logger: silentLogger(),
      passwords,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
  };
  let identity: ReturnType<typeof make>;

  beforeAll(async () => {
    const database = await backend.open(backend.newNamespace());
    await runMigrations(database, [identityMigrations]);
    store = createSqlIdentityStore(database);
    identity = make();
  }, setupTimeoutMs);
  afterAll(() => backend.dispose(), setupTimeoutMs);

  const principal = (role: Role, userId: string = randomUUID()): Principal => principalOf(userId, { role });
  const newUser = (overrides: Partial<CreateUserInput> = {}) =>
    identity.users.create({ username: uniqueName('u'), password, role: 'FRONT_DESK', ...overrides });
  const codeOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'OK';
    } catch (error) {
      if (error instanceof AppError) return error.code;
      throw error;
    }
  };

  it('refuses every ADMIN operation without a principal (UNAUTHENTICATED) and for every other role (FORBIDDEN)', async () => {
    const target = await newUser();
    const operations = (caller: Principal | undefined) => [
      identity.domain.user(caller, target.id),
      identity.domain.users(caller, {}, 5, undefined),
      identity.domain.signingKeys(caller),
      identity.domain.createUser(caller, { username: uniqueName('x'), password, role: 'BILLING' }),
      identity.domain.updateUser(caller, target.id, target.version, { role: 'BILLING' }),
      identity.domain.setPassword(caller, target.id, 'another-password-2026'),
      identity.domain.deactivateUser(caller, target.id, target.version),
      identity.domain.rotateSigningKey(caller),
    ];
    for (const operation of operations(undefined)) expect(await codeOf(operation)).toBe('UNAUTHENTICATED');
    expect(await codeOf(identity.domain.me(undefined))).toBe('UNAUTHENTICATED');
    expect(await codeOf(identity.domain.changeMyPassword(undefined, password, 'x'.repeat(12)))).toBe(
      'UNAUTHENTICATED',
    );
    for (const role of roles.filter((role) => role !== 'ADMIN')) {
      for (const operation of operations(principal(role))) expect(await codeOf(operation)).toBe('FORBIDDEN');
    }
    const unchanged = await identity.users.byId(target.id);
    expect(unchanged).toMatchObject({ role: 'FRONT_DESK', active: true, version: 1 });
  });

  it('lets an ADMIN do them, and anyone read themself', async () => {
    const caller = principal('ADMIN');
    const created = await identity.domain.createUser(caller, {
      username: uniqueName('x'),
      password,
      role: 'BILLING',
    });
    expect(await identity.domain.user(caller, created.id)).toEqual(created);
    const self = await newUser({ role: 'INTEGRATION' });
    expect(await identity.domain.me(principal('INTEGRATION', self.id))).toEqual(self);
    expect((await identity.domain.rotateSigningKey(caller)).retiredAt).toBeNull();
  });

  it.each([
    ['a username of 2 characters', { username: 'ab' }, 'input.username'],
    ['a username of 65 characters', { username: 'a'.repeat(65) }, 'input.username'],
    ['a username with a space', { username: 'ada lovelace' }, 'input.username'],
    ['a username with a non-ASCII letter', { username: 'adé' }, 'input.username'],
    ['a password of 11 characters', { password: 'x'.repeat(11) }, 'input.password'],
    ['a password of spaces', { password: ' '.repeat(12) }, 'input.password'],
    ['a PATIENT without patientId', { role: 'PATIENT' }, 'input.patientId'],
    ['a CLINICIAN without doctorId', { role: 'CLINICIAN' }, 'input.doctorId'],
    ['a BILLING user with a patientId', { role: 'BILLING', patientId: randomUUID() }, 'input.patientId'],
    ['a FRONT_DESK user with a doctorId', { role: 'FRONT_DESK', doctorId: randomUUID() }, 'input.doctorId'],
    [
      'a PATIENT with a doctorId too',
      { role: 'PATIENT', patientId: randomUUID(), doctorId: randomUUID() },
      'input.doctorId',
    ],
    ['a patientId that is no id', { role: 'PATIENT', patientId: 'patient-1' }, 'input.patientId'],
  ] as Array<[string, Partial<CreateUserInput>, string]>)(
    'refuses %s with BAD_USER_INPUT naming the field',
    async (_case, overrides, field) => {
      const attempt = identity.domain.createUser(principal('ADMIN'), {
        username: uniqueName('v'),
        password,
        role: 'FRONT_DESK',
        ...overrides,
      });
      await expect(attempt).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { field } });
    },
  );

  it('normalises the username to lower case and refuses it again in another case (CONFLICT)', async () => {
    const name = uniqueName('Case');
    const user = await newUser({ username: `  ${name.toUpperCase()} ` });
    expect(user.username).toBe(name.toLowerCase());
    await expect(newUser({ username: name })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { field: 'username' },
    });
  });

  it('drops a link the new role does not take, and keeps one it does', async () => {
    const patientId = randomUUID();
    const user = await newUser({ role: 'PATIENT', patientId });
    const billing = await identity.users.update(user.id, 1, { role: 'BILLING' });
    expect(billing).toMatchObject({ role: 'BILLING', patientId: null, version: 2 });
    const back = await identity.users.update(user.id, 2, { role: 'PATIENT', patientId });
    const reactivated = await identity.users.update(user.id, 3, { active: false });
    expect(reactivated).toMatchObject({ role: 'PATIENT', patientId, active: false });
    expect(back.version).toBe(3);
  });

  it('refuses to deactivate or demote the last active ADMIN', async () => {
    // Only this suite's admins exist in its schema: make every other one inactive first.
    const admins = (await store.search({ role: 'ADMIN', active: true }, 100, undefined)).users;
    const last = await newUser({ role: 'ADMIN', username: uniqueName('last') });
    for (const other of admins) await identity.users.deactivate(other.id, other.version);
    await expect(identity.users.deactivate(last.id, last.version)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { rule: 'LAST_ADMIN' },
    });
    await expect(identity.users.update(last.id, last.version, { role: 'BILLING' })).rejects.toMatchObject({
      details: { rule: 'LAST_ADMIN' },
    });
    const second = await newUser({ role: 'ADMIN' });
    expect((await identity.users.deactivate(last.id, last.version)).active).toBe(false);
    expect(second.active).toBe(true);
  });

  it('delays attempts after 3 failures by 250 ms × failures, up to 3 s, without waiting in real time', async () => {
    const patient = make({ LOGIN_LOCK_AFTER_FAILURES: 20 });
    const user = await newUser();
    slept.length = 0;
    for (let attempt = 0; attempt < 15; attempt++) {
      const outcome = await patient.auth.login({
        username: user.username,
        password: 'wrong-password-guess',
        address: `192.0.2.${attempt}`,
      });
      expect(outcome).toEqual({ ok: false, error: 'invalid_credentials' });
    }
    expect(slept).toEqual([750, 1000, 1250, 1500, 1750, 2000, 2250, 2500, 2750, 3000, 3000, 3000]);
  });

  it('checks a dummy hash for an unknown username, and the real one for an inactive user', async () => {
    const inactive = await newUser();
    await identity.users.deactivate(inactive.id, inactive.version);
    const before = { ...calls };
    const unknown = await identity.auth.login({
      username: uniqueName('no'),
      password,
      address: '192.0.2.200',
    });
    const deactivated = await identity.auth.login({
      username: inactive.username,
      password,
      address: '192.0.2.201',
    });
    expect([unknown, deactivated]).toEqual([
      { ok: false, error: 'invalid_credentials' },
      { ok: false, error: 'invalid_credentials' },
    ]);
    expect({
      verify: calls.verify - before.verify,
      verifyDummy: calls.verifyDummy - before.verifyDummy,
    }).toEqual({
      verify: 1,
      verifyDummy: 1,
    });
  });

  it('locks for LOCKOUT_SECONDS, then counts afresh', async () => {
    const user = await newUser();
    for (let attempt = 0; attempt < 10; attempt++)
      await identity.auth.login({
        username: user.username,
        password: 'wrong-guess-123',
        address: '192.0.2.50',
      });
    const locked = await identity.auth.login({ username: user.username, password, address: '192.0.2.51' });
    expect(locked).toEqual({ ok: false, error: 'too_many_attempts', retryAfterSeconds: 900 });
    now = new Date(now.getTime() + 600_000);
    expect(
      await identity.auth.login({ username: user.username, password, address: '192.0.2.51' }),
    ).toMatchObject({ ok: false, retryAfterSeconds: 300 });
    now = new Date(now.getTime() + 300_000);
    expect(
      await identity.auth.login({ username: user.username, password, address: '192.0.2.51' }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('counts wrong current passwords of changeMyPassword like failed logins', async () => {
    const user = await newUser();
    const caller = principal('FRONT_DESK', user.id);
    for (let attempt = 0; attempt < 10; attempt++) {
      await expect(
        identity.domain.changeMyPassword(caller, 'not-my-password', 'new-password-2026'),
      ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'currentPassword' } });
    }
    await expect(
      identity.domain.changeMyPassword(caller, password, 'new-password-2026'),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { rule: 'TOO_MANY_ATTEMPTS' },
    });
  });

  it('keeps tables bounded: stale counters, long-expired refresh tokens and retired private keys go', async () => {
    const user = await newUser();
    const login = await identity.auth.login({ username: user.username, password, address: '192.0.2.90' });
    expect(login.ok).toBe(true);
    await identity.auth.login({ username: uniqueName('gone'), password, address: '192.0.2.91' });
    const retired = await identity.keys.ensureActiveKey();
    await identity.keys.rotate();
    now = new Date(now.getTime() + 15 * 86_400_000 + 1000);
    expect(await identity.throttle.deleteStale(now)).toBeGreaterThan(0);
    expect(await store.deleteExpiredRefreshTokens(new Date(now.getTime() - 86_400_000))).toBeGreaterThan(0);
    expect(await identity.keys.forgetRetiredPrivateKeys()).toBeGreaterThan(0);
    const keys = await store.keys();
    expect(keys.find((key) => key.kid === retired.kid)?.privateJwk).toBeNull();
    expect(keys.find((key) => key.retiredAt === null)?.privateJwk).not.toBeNull();
  });
});

describe('identity settings', () => {
  const parse = (env: Record<string, string>) => parseEnv('identity', identitySettings, env);

  it('has defaults for everything', () => {
    expect(parse({})).toEqual({
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 1_209_600,
      LOCKOUT_SECONDS: 900,
      LOGIN_LOCK_AFTER_FAILURES: 10,
      LOGIN_LOCK_AFTER_ADDRESS_FAILURES: 50,
      LOGIN_DELAY_STEP_MS: 250,
      LOGIN_DELAY_MAX_MS: 3000,
      ADMIN_USERNAME: undefined,
      ADMIN_PASSWORD: undefined,
    });
  });

  it('reports every bad variable at once, never the password itself', () => {
    const env = { ACCESS_TOKEN_TTL_SECONDS: '5', ADMIN_USERNAME: 'Boss Person', ADMIN_PASSWORD: 'hunter2' };
    let problems: string[] = [];
    try {
      parse(env);
    } catch (error) {
      if (!(error instanceof EnvError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      expect.stringContaining('ACCESS_TOKEN_TTL_SECONDS'),
      expect.stringContaining('ADMIN_USERNAME'),
      expect.stringContaining('ADMIN_PASSWORD'),
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('wants ADMIN_USERNAME and ADMIN_PASSWORD together', () => {
    expect(() => parse({ ADMIN_USERNAME: 'boss' })).toThrow(/ADMIN_PASSWORD/);
    expect(parse({ ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'long-enough-secret' }).ADMIN_USERNAME).toBe(
      'boss',
    );
  });
});
