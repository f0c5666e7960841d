import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * Password hashing: argon2id at @node-rs/argon2's defaults (19 MiB, 2 passes, 1 lane: OWASP's minimum
 * for argon2id), as a PHC string that carries its own parameters and salt, so they can be raised later
 * without breaking stored hashes.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a hash that cannot be read; never throws on bad input. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /**
   * The same work as verify against a hash nobody has: run for an unknown username, so that the time a
   * login takes does not tell whether the username exists.
   */
  verifyDummy(password: string): Promise<void>;
}

export function createPasswordHasher(): PasswordHasher {
  // Made at once, so that even the first unknown username costs no more than a verify.
  const dummy = hash(randomBytes(32).toString('base64url'));
  dummy.catch(() => undefined);
  const check = async (passwordHash: string, password: string) => {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  };
  return {
    hash: (password) => hash(password),
    verify: check,
    async verifyDummy(password) {
      await check(await dummy, password);
    },
  };
}
