import { randomInt, randomUUID } from 'node:crypto';
import { tokenAudience, tokenIssuer } from '@hsg/kit/auth';
import { type EventBackend, errorCode, uniqueName } from '@hsg/testing';
import { describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { CreateUserInput } from '../src/domain.ts';
import { useIdentity } from './harness.ts';

const password = 'correct-horse-battery-2026';
const admin = { username: 'first.admin', password: 'first-admin-password-2026' };
const USER_FIELDS = 'id username role active version createdAt patient { id } doctor { id }';

/** A client address of the test's own, so the per-address counter of one test never meets another's. */
const anAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** The identity subgraph's public contract (HTTP routes and GraphQL), run on PGlite + log and Postgres + Kafka. */
export function describeIdentityApi(makeBackend: () => EventBackend): void {
  const api = useIdentity(makeBackend, {
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    // Throttle delays are asserted in domain.test.ts with a recording sleep; here they would only wait.
    LOGIN_DELAY_STEP_MS: 0,
  });

  const createUser = async (overrides: Partial<CreateUserInput> = {}) =>
    api.subgraph.users.create({ username: uniqueName('u'), password, role: 'FRONT_DESK', ...overrides });
  const login = (username: string, secret: string, address = anAddress()) =>
    api.post('/auth/login', { username, password: secret }, { 'x-hsg-client-ip': address });
  const loggedIn = async (username: string, secret = password) => {
    const answer = await login(username, secret);
    if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${answer.text}`);
    return answer.json as { accessToken: string; refreshToken: string; user: { id: string } };
  };
  const verify = async (token: string) =>
    jwtVerify(token, createLocalJWKSet(await api.jwks()), {
      issuer: tokenIssuer,
      audience: tokenAudience,
      algorithms: ['ES256'],
      currentDate: api.now(),
    });
  const adminToken = async () => (await loggedIn(admin.username, admin.password)).accessToken;

  describe(`identity subgraph on ${api.backendName}`, () => {
    it('logs in: an ES256 access token that verifies against the JWKS with its claims, and a refresh token', async () => {
      const patientId = randomUUID();
      const user = await createUser({ role: 'PATIENT', patientId });
      const answer = await login(user.username.toUpperCase(), password);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.json).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        refreshExpiresIn: 14 * 86_400,
        user: { id: user.id, username: user.username, role: 'PATIENT', patientId, doctorId: null },
      });
      const token = answer.json.accessToken as string;
      const { payload, protectedHeader } = await verify(token);
      const active = await api.subgraph.keys.ensureActiveKey();
      expect(protectedHeader).toEqual({ alg: 'ES256', kid: active.kid });
      expect(payload).toEqual({
        iss: tokenIssuer,
        aud: tokenAudience,
        sub: user.id,
        role: 'PATIENT',
        pid: patientId,
        iat: expect.any(Number),
        exp: (payload.iat as number) + 900,
        jti: expect.any(String),
      });
      // GraphQL trusts it: the kit verifies it against this subgraph's own JWKS.
      const me = await api.gql(`{ me { ${USER_FIELDS} } }`, {}, token);
      expect(me.data?.me).toMatchObject({
        id: user.id,
        role: 'PATIENT',
        patient: { id: patientId },
        doctor: null,
      });
    });

    it('publishes only public keys in the JWKS: kid, ES256, use sig, no private part', async () => {
      const jwks = await api.jwks();
      expect(jwks.keys.length).toBeGreaterThan(0);
      for (const key of jwks.keys) {
        expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      }
    });

    it('answers a wrong password, an unknown user and an inactive user with byte-identical 401s', async () => {
      const user = await createUser();
      const inactive = await createUser();
      await api.subgraph.users.deactivate(inactive.id, inactive.version);
      const answers = await Promise.all([
        login(user.username, 'not-the-password-at-all'),
        login(uniqueName('nobody'), password),
        login(inactive.username, password),
      ]);
      for (const answer of answers) expect(answer.status).toBe(401);
      expect(answers[0]?.json).toEqual({ error: 'invalid_credentials', message: expect.any(String) });
      expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
      expect(new Set(answers.map((answer) => answer.headers.get('content-length'))).size).toBe(1);
    });

    it('locks a username after 10 failures with 429 and Retry-After, whether it exists or not', async () => {
      const existing = (await createUser()).username;
      const unknown = uniqueName('ghost');
      const lockedAnswers = [];
      for (const username of [existing, unknown]) {
        const address = anAddress();
        for (let attempt = 1; attempt <= 10; attempt++) {
          expect((await login(username, 'wrong-password-guess', address)).status).toBe(401);
        }
        // Locked: even the right password is refused, from another address too.
        const locked = await login(username, password, anAddress());
        expect(locked.status).toBe(429);
        expect(locked.headers.get('retry-after')).toBe(String(locked.json.retryAfterSeconds));
        lockedAnswers.push(locked);
      }
      const [first, second] = lockedAnswers;
      expect(first?.json).toEqual({
        error: 'too_many_attempts',
        message: expect.any(String),
        retryAfterSeconds: expect.any(Number),
      });
      expect(Object.keys(first?.json ?? {})).toEqual(Object.keys(second?.json ?? {}));
      expect(first?.json.retryAfterSeconds).toBeGreaterThan(890);
      expect(first?.json.retryAfterSeconds).toBeLessThanOrEqual(900);
      // After LOCKOUT_SECONDS the username may try again.
      api.advance(900_000);
      expect((await login(existing, password)).status).toBe(200);
    }, 60_000);

    it('locks a client address after 50 failures, whatever username it tries next', async () => {
      const address = anAddress();
      for (let attempt = 0; attempt < 50; attempt++) {
        expect((await login(uniqueName('spray'), 'wrong-password-guess', address)).status).toBe(401);
      }
      const user = await createUser();
      expect((await login(user.username, password, address)).status).toBe(429);
      expect((await login(user.username, password, anAddress())).status).toBe(200);
    }, 60_000);

    it('counts parallel guesses too: of 15 at once, 10 are checked and 5 refused', async () => {
      const user = await createUser();
      const answers = await Promise.all(
        Array.from({ length: 15 }, () => login(user.username, 'wrong-password-guess')),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([...Array(10).fill(401), ...Array(5).fill(429)]);
    }, 60_000);

    it("resets the username's counter on a successful login", async () => {
      const user = await createUser();
      for (let attempt = 0; attempt < 9; attempt++) await login(user.username, 'wrong-password-guess');
      expect((await login(user.username, password)).status).toBe(200);
      for (let attempt = 0; attempt < 9; attempt++) await login(user.username, 'wrong-password-guess');
      expect((await login(user.username, password)).status).toBe(200);
    }, 60_000);

    it('rotates the refresh token: the new pair works, the old token is refused', async () => {
      const user = await createUser();
      const first = await loggedIn(user.username);
      const refreshed = await api.post('/auth/refresh', { refreshToken: first.refreshToken });
      expect(refreshed.status).toBe(200);
      expect(refreshed.json).toMatchObject({ tokenType: 'Bearer', user: { id: user.id } });
      expect(refreshed.json.refreshToken).not.toBe(first.refreshToken);
      expect((await verify(refreshed.json.accessToken as string)).payload.sub).toBe(user.id);
      const again = await api.post('/auth/refresh', { refreshToken: refreshed.json.refreshToken });
      expect(again.status).toBe(200);
    });

    it('revokes the whole family when a rotated refresh token comes back: the newest fails too', async () => {
      const user = await createUser();
      const stolen = (await loggedIn(user.username)).refreshToken;
      const other = (await loggedIn(user.username)).refreshToken; // another login, another family
      const second = (await api.post('/auth/refresh', { refreshToken: stolen })).json.refreshToken as string;
      const third = (await api.post('/auth/refresh', { refreshToken: second })).json.refreshToken as string;
      const replay = await api.post('/auth/refresh', { refreshToken: stolen });
      expect(replay.status).toBe(401);
      expect(replay.json).toMatchObject({ error: 'invalid_grant' });
      expect((await api.post('/auth/refresh', { refreshToken: third })).status).toBe(401);
      expect((await api.post('/auth/refresh', { refreshToken: other })).status).toBe(200);
    });

    it('refuses an unknown or expired refresh token with invalid_grant', async () => {
      const user = await createUser();
      const unknown = await api.post('/auth/refresh', { refreshToken: 'x'.repeat(43) });
      expect(unknown.status).toBe(401);
      expect(unknown.json).toMatchObject({ error: 'invalid_grant' });
      const { refreshToken } = await loggedIn(user.username);
      api.advance(14 * 86_400_000 + 1000);
      expect((await api.post('/auth/refresh', { refreshToken })).status).toBe(401);
    });

    it('logs out with 204, revoking the family; an unknown token is 204 too', async () => {
      const user = await createUser();
      const { refreshToken } = await loggedIn(user.username);
      const out = await api.post('/auth/logout', { refreshToken });
      expect(out.status).toBe(204);
      expect(out.text).toBe('');
      expect((await api.post('/auth/refresh', { refreshToken })).status).toBe(401);
      expect((await api.post('/auth/logout', { refreshToken })).status).toBe(204);
      expect((await api.post('/auth/logout', { refreshToken: 'never-issued' })).status).toBe(204);
    });

    it.each([
      ['not JSON', '/auth/login', 'username=a&password=b'],
      ['a JSON array', '/auth/login', '[]'],
      ['a missing password', '/auth/login', JSON.stringify({ username: 'someone' })],
      ['a number for a username', '/auth/login', JSON.stringify({ username: 7, password: 'x' })],
      ['no refresh token', '/auth/refresh', '{}'],
      ['a null refresh token', '/auth/logout', JSON.stringify({ refreshToken: null })],
    ])('answers %s with 400 invalid_request', async (_case, path, body) => {
      const answer = await api.post(path, body);
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: 'invalid_request' });
    });

    it('refuses a body over 8 KiB with 413 before reading it', async () => {
      const answer = await api.post('/auth/login', { username: 'x'.repeat(10_000), password });
      expect(answer.status).toBe(413);
    });

    it('rotates the signing key: old tokens verify until they expire, new ones carry the new kid', async () => {
      const user = await createUser();
      const before = (await loggedIn(user.username)).accessToken;
      const oldKid = decodeProtectedHeader(before).kid;
      const rotated = await api.gql(
        'mutation { rotateSigningKey { kid active createdAt } }',
        {},
        await adminToken(),
      );
      const key = rotated.data?.rotateSigningKey as { kid: string; active: boolean };
      expect(key).toMatchObject({ active: true });
      expect(key.kid).not.toBe(oldKid);
      const kids = (await api.jwks()).keys.map((jwk) => jwk.kid);
      expect(kids).toEqual(expect.arrayContaining([oldKid, key.kid]));
      expect((await verify(before)).protectedHeader.kid).toBe(oldKid);
      const after = (await loggedIn(user.username)).accessToken;
      expect(decodeProtectedHeader(after).kid).toBe(key.kid);
      expect((await verify(after)).payload.sub).toBe(user.id);
      const listed = await api.gql('{ signingKeys { kid active } }', {}, await adminToken());
      expect(listed.data?.signingKeys).toEqual(
        expect.arrayContaining([
          { kid: key.kid, active: true },
          { kid: oldKid, active: false },
        ]),
      );
      // Shortly before the old tokens' expiry the old key is still published; a minute after, it is gone.
      api.advance(890_000);
      expect((await verify(before)).payload.sub).toBe(user.id);
      api.advance(75_000);
      expect((await api.jwks()).keys.map((jwk) => jwk.kid)).not.toContain(oldKid);
      await expect(verify(before)).rejects.toThrow();
      const later = (await loggedIn(user.username)).accessToken;
      expect((await verify(later)).protectedHeader.kid).toBe(key.kid);
    }, 60_000);

    it('created the first ADMIN from ADMIN_USERNAME and ADMIN_PASSWORD at start', async () => {
      const token = await adminToken();
      const me = await api.gql('{ me { username role active } }', {}, token);
      expect(me.data?.me).toEqual({ username: admin.username, role: 'ADMIN', active: true });
    });

    it('answers UNAUTHENTICATED without a token and FORBIDDEN for every role but ADMIN', async () => {
      const anonymous = await api.gql('{ me { id } }');
      expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
      for (const role of ['FRONT_DESK', 'BILLING', 'INTEGRATION'] as const) {
        const user = await createUser({ role });
        const token = await api.subgraph.issueAccessToken(user.id);
        const own = await api.gql('{ me { id role } }', {}, token);
        expect(own.data?.me).toEqual({ id: user.id, role });
        for (const operation of [
          '{ users { totalCount } }',
          '{ signingKeys { kid } }',
          `{ user(id: "${user.id}") { id } }`,
          'mutation { rotateSigningKey { kid } }',
          `mutation { createUser(input: { username: "${uniqueName('x')}", password: "${password}", role: ADMIN }) { id } }`,
        ]) {
          expect(errorCode(await api.gql(operation, {}, token))).toBe('FORBIDDEN');
        }
      }
    });

    it('lets an ADMIN create, page, update and deactivate users through the graph', async () => {
      const token = await adminToken();
      const prefix = uniqueName('p').slice(0, 14);
      for (const suffix of ['a', 'b', 'c']) {
        const created = await api.gql(
          `mutation ($input: CreateUserInput!) { createUser(input: $input) { ${USER_FIELDS} } }`,
          { input: { username: `${prefix.toUpperCase()}.${suffix}`, password, role: 'BILLING' } },
          token,
        );
        expect(created.data?.createUser).toMatchObject({ username: `${prefix}.${suffix}`, version: 1 });
      }
      const page = (after: string | null) =>
        api.gql(
          `query ($f: UserFilter, $after: String) { users(filter: $f, first: 2, after: $after) {
            totalCount edges { cursor node { username } } pageInfo { hasNextPage endCursor } } }`,
          { f: { username: prefix, role: 'BILLING' }, after },
          token,
        );
      type Page = {
        totalCount: number;
        edges: Array<{ node: { username: string } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      const one = (await page(null)).data?.users as Page;
      const two = (await page(one.pageInfo.endCursor)).data?.users as Page;
      expect(one.totalCount).toBe(3);
      expect([...one.edges, ...two.edges].map((edge) => edge.node.username)).toEqual(
        ['a', 'b', 'c'].map((suffix) => `${prefix}.${suffix}`),
      );
      expect([one.pageInfo.hasNextPage, two.pageInfo.hasNextPage]).toEqual([true, false]);

      const doctorId = randomUUID();
      const target = await createUser();
      const update = (expectedVersion: number) =>
        api.gql(
          `mutation ($id: ID!, $v: Int!, $d: ID) { updateUser(id: $id, expectedVersion: $v, input: { role: CLINICIAN, doctorId: $d }) { role version doctor { id } } }`,
          { id: target.id, v: expectedVersion, d: doctorId },
          token,
        );
      expect((await update(1)).data?.updateUser).toEqual({
        role: 'CLINICIAN',
        version: 2,
        doctor: { id: doctorId },
      });
      expect((await update(1)).errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        rule: 'STALE_VERSION',
        currentVersion: 2,
      });

      const { refreshToken } = await loggedIn(target.username);
      const deactivated = await api.gql(
        'mutation ($id: ID!) { deactivateUser(id: $id, expectedVersion: 2) { active version } }',
        { id: target.id },
        token,
      );
      expect(deactivated.data?.deactivateUser).toEqual({ active: false, version: 3 });
      expect((await api.post('/auth/refresh', { refreshToken })).status).toBe(401);
      expect((await login(target.username, password)).status).toBe(401);
    });

    it('refuses invalid users with BAD_USER_INPUT naming the field, and a taken username with CONFLICT', async () => {
      const token = await adminToken();
      const create = (input: Record<string, unknown>) =>
        api.gql('mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }', { input }, token);
      const taken = await createUser();
      const sameName = await create({ username: taken.username.toUpperCase(), password, role: 'BILLING' });
      expect(sameName.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'username' });
      const shortPassword = await create({ username: uniqueName('s'), password: 'short', role: 'BILLING' });
      expect(errorCode(shortPassword)).toBe('BAD_USER_INPUT');
      expect(shortPassword.errors?.[0]?.extensions?.field).toBe('input.password');
      const noPatient = await create({ username: uniqueName('s'), password, role: 'PATIENT' });
      expect(noPatient.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'input.patientId',
      });
    });

    it('lets a user change their own password with the current one, ending their sessions', async () => {
      const user = await createUser();
      const { accessToken, refreshToken } = await loggedIn(user.username);
      const change = (current: string, next: string) =>
        api.gql(
          'mutation ($c: String!, $n: String!) { changeMyPassword(currentPassword: $c, newPassword: $n) }',
          { c: current, n: next },
          accessToken,
        );
      expect((await change('not-my-password', 'a-brand-new-password')).errors?.[0]?.extensions).toMatchObject(
        {
          code: 'BAD_USER_INPUT',
          field: 'currentPassword',
        },
      );
      expect((await change(password, 'a-brand-new-password')).data?.changeMyPassword).toBe(true);
      expect((await api.post('/auth/refresh', { refreshToken })).status).toBe(401);
      expect((await login(user.username, password)).status).toBe(401);
      expect((await login(user.username, 'a-brand-new-password')).status).toBe(200);
    });
  });
}
