import { randomBytes } from 'node:crypto';

/** A lower-case suffix that makes a test's schema, topic or group its own, so suites can run side by side. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
