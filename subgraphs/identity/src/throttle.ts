import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { IdentitySettings } from './env.ts';
import type { AttemptOutcome, ThrottleSubject } from './model.ts';
import type { IdentityStore } from './store.ts';

/** Failures before each further attempt is delayed. */
export const delayAfterFailures = 3;

/**
 * The throttle key of a username: a hash of it trimmed and lower-cased, so every spelling of one name
 * shares a counter, any string (a password typed into the username field, 1 MB of junk) is a short key,
 * and the table never holds what someone typed.
 */
export const usernameKey = (username: string): string =>
  `u:${createHash('sha256').update(username.trim().toLowerCase()).digest('hex').slice(0, 40)}`;

export const addressKey = (address: string): string => `a:${address}`;

/**
 * The client's address: the router's `x-hsg-client-ip` when it is an IP address, else the socket's peer.
 * IPv4-mapped IPv6 (::ffff:10.0.0.1) is written as IPv4, so one client has one counter.
 */
export function clientAddressOf(header: string | string[] | undefined, peer: string | undefined): string {
  const forwarded = (Array.isArray(header) ? header[0] : header)?.trim();
  const address = forwarded && isIP(forwarded) !== 0 ? forwarded : (peer ?? 'unknown');
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export type ThrottleSettings = Pick<
  IdentitySettings,
  | 'LOCKOUT_SECONDS'
  | 'LOGIN_LOCK_AFTER_FAILURES'
  | 'LOGIN_LOCK_AFTER_ADDRESS_FAILURES'
  | 'LOGIN_DELAY_STEP_MS'
  | 'LOGIN_DELAY_MAX_MS'
>;

/**
 * Login throttling with its state in the store, so every instance agrees: attempts are counted per
 * username and per client address before the password is checked; from the 4th failure on each attempt
 * waits (step × failures, capped); at the limit the subject is locked for LOCKOUT_SECONDS.
 */
export function createThrottle(store: IdentityStore, settings: ThrottleSettings) {
  const lockoutMs = settings.LOCKOUT_SECONDS * 1000;
  const subjects = (username: string, address: string | undefined): ThrottleSubject[] => [
    { key: usernameKey(username), lockAfter: settings.LOGIN_LOCK_AFTER_FAILURES },
    ...(address === undefined
      ? []
      : [{ key: addressKey(address), lockAfter: settings.LOGIN_LOCK_AFTER_ADDRESS_FAILURES }]),
  ];
  return {
    /** Counts the attempt, or says the subject is locked (and counts nothing). */
    begin: (username: string, address: string | undefined, at: Date): Promise<AttemptOutcome> =>
      store.beginAttempt(subjects(username, address), at, lockoutMs),
    /** How long to wait before checking the password, after this many failures. */
    delayMs(priorFailures: number): number {
      if (priorFailures < delayAfterFailures) return 0;
      return Math.min(settings.LOGIN_DELAY_STEP_MS * priorFailures, settings.LOGIN_DELAY_MAX_MS);
    },
    succeeded: (username: string, address: string) =>
      store.attemptSucceeded(usernameKey(username), addressKey(address)),
    reset: (username: string) => store.resetThrottle(usernameKey(username)),
    /** Whole seconds until the lock ends, at least 1. */
    retryAfterSeconds: (retryAt: Date, now: Date) =>
      Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000)),
    deleteStale: (now: Date) => store.deleteStaleThrottles(new Date(now.getTime() - lockoutMs)),
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
