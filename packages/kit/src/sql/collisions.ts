import { backoffDelay, pause } from '../retry.ts';
import { isTransactionCollision } from './errors.ts';

/**
 * Runs a whole transaction again when the server aborted it for colliding with another (a deadlock or
 * serialization failure): the retry sees the other's committed outcome, so the caller gets the real
 * answer (e.g. a constraint violation) instead of a spurious failure. Short jittered backoff, so the
 * colliding writers do not meet again in lockstep; after `attempts` the collision is thrown (retriable).
 */
export async function retryCollisions<T>(transaction: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= attempts || !isTransactionCollision(error)) throw error;
      await pause(backoffDelay(attempt, { initialMs: 5, maxMs: 100 }));
    }
  }
}
