import { z } from 'zod';
import { passwordLength, usernamePattern } from './model.ts';

const seconds = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const count = (fallback: number) => z.coerce.number().int().min(1).max(10_000).default(fallback);
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

/**
 * The identity subgraph's own environment, beside what the kit reads for every subgraph (PORT 4104, HOST,
 * LOG_LEVEL, DATABASE_URL, DATABASE_SCHEMA `identity`, DATABASE_POOL_SIZE, KAFKA_BROKERS).
 */
export const identitySettings = z
  .object({
    /** Lifetime of an access token (a signed JWT; it cannot be revoked, so keep it short). */
    ACCESS_TOKEN_TTL_SECONDS: seconds(900, 60, 86_400),
    /** Lifetime of each refresh token (every refresh issues a new one with a fresh lifetime). */
    REFRESH_TOKEN_TTL_SECONDS: seconds(14 * 86_400, 300, 365 * 86_400),
    /** How long a username or client address stays locked after too many failed logins. */
    LOCKOUT_SECONDS: seconds(900, 1, 86_400),
    /** Failed logins of one username that lock it. */
    LOGIN_LOCK_AFTER_FAILURES: count(10),
    /** Failed logins from one client address that lock it. */
    LOGIN_LOCK_AFTER_ADDRESS_FAILURES: count(50),
    /** From the 4th failure on, each attempt waits this × failures before the password is checked... */
    LOGIN_DELAY_STEP_MS: z.coerce.number().int().min(0).max(10_000).default(250),
    /** ...up to this. */
    LOGIN_DELAY_MAX_MS: z.coerce.number().int().min(0).max(60_000).default(3000),
    /** The first admin: created at start when both are set and no user has that name. */
    ADMIN_USERNAME: optionalText().refine(
      (value) => value === undefined || usernamePattern.test(value.trim().toLowerCase()),
      'must be 3-64 characters of a-z 0-9 . _ -',
    ),
    ADMIN_PASSWORD: optionalText().refine(
      (value) =>
        value === undefined || (value.length >= passwordLength.min && value.length <= passwordLength.max),
      `must be ${passwordLength.min}-${passwordLength.max} characters`,
    ),
  })
  .superRefine((settings, context) => {
    if ((settings.ADMIN_USERNAME === undefined) !== (settings.ADMIN_PASSWORD === undefined)) {
      const missing = settings.ADMIN_USERNAME === undefined ? 'ADMIN_USERNAME' : 'ADMIN_PASSWORD';
      context.addIssue({
        code: 'custom',
        path: [missing],
        message: 'ADMIN_USERNAME and ADMIN_PASSWORD are set together or not at all',
      });
    }
  });

export type IdentitySettings = z.output<typeof identitySettings>;
