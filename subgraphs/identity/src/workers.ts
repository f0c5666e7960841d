import type { Logger } from '@hsg/kit';
import type { Worker } from '@hsg/kit/runtime';
import type { UserService } from './domain.ts';
import type { IdentitySettings } from './env.ts';
import type { KeyRing } from './keys.ts';
import type { IdentityStore } from './store.ts';
import type { Throttle } from './throttle.ts';

/** Expired refresh tokens are kept this long (a late reuse is still recognised), then deleted. */
const expiredTokenGraceMs = 86_400_000;
const maintenanceIntervalMs = 10 * 60_000;

/**
 * At start: a signing key when the store has none, and the first ADMIN from ADMIN_USERNAME and
 * ADMIN_PASSWORD when no user has that name. Idempotent, and safe with several instances starting.
 */
export function createBootstrap(deps: {
  keys: KeyRing;
  users: UserService;
  settings: Pick<IdentitySettings, 'ADMIN_USERNAME' | 'ADMIN_PASSWORD'>;
  logger: Logger;
}): Worker {
  return {
    async start() {
      const key = await deps.keys.ensureActiveKey();
      deps.logger.info({ kid: key.kid }, 'signing key ready');
      const { ADMIN_USERNAME: username, ADMIN_PASSWORD: password } = deps.settings;
      if (username === undefined || password === undefined) return;
      if (await deps.users.byUsername(username)) return;
      try {
        const admin = await deps.users.create({ username, password, role: 'ADMIN' });
        deps.logger.info({ userId: admin.id }, 'first ADMIN created from ADMIN_USERNAME');
      } catch (error) {
        // Another instance created it a moment ago.
        if (!(await deps.users.byUsername(username))) throw error;
      }
    },
    async stop() {},
  };
}

/**
 * Keeps the tables bounded: stale login counters, long-expired refresh tokens, and the private half of
 * keys no live token can need. Every 10 minutes, on every instance (the deletes are idempotent).
 */
export function createMaintenance(deps: {
  store: IdentityStore;
  keys: KeyRing;
  throttle: Throttle;
  clock: () => Date;
  logger: Logger;
}): Worker & { runOnce(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const runOnce = async () => {
    const now = deps.clock();
    const counters = await deps.throttle.deleteStale(now);
    const tokens = await deps.store.deleteExpiredRefreshTokens(new Date(now.getTime() - expiredTokenGraceMs));
    const privateKeys = await deps.keys.forgetRetiredPrivateKeys();
    if (counters + tokens + privateKeys > 0)
      deps.logger.info({ counters, tokens, privateKeys }, 'identity maintenance removed stale rows');
  };
  const tick = () => {
    running ??= runOnce()
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'identity maintenance failed'))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    runOnce,
    start() {
      timer = setInterval(tick, maintenanceIntervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
