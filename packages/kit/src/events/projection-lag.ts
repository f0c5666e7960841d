import type { Logger } from 'pino';
import { uuidV7Time } from '../ids.ts';
import { createWakeup, type Wakeup } from '../signal.ts';
import type { SqlDatabase } from '../sql/types.ts';

/**
 * Projection lag (ADR 0006), for any subgraph that projects another's entities from their events: a
 * request can name an entity whose event has not reached the projection yet (registered a moment ago,
 * the relay and the consumer each add a few milliseconds). So an absent entity is first waited for,
 * briefly, woken by the projection's commits; if still absent, a UUIDv7 minted recently or a projection
 * consumer that is not running means "not yet known here" (a retriable UNAVAILABLE), never a permanent
 * "unknown". Only an old id with a running consumer is really unknown.
 */
export interface ProjectionLag {
  /** How long a request waits for an absent entity to be projected. */
  waitMs: number;
  /** How recent a UUIDv7 must be to count as "minted, its event still on its way". */
  graceMs: number;
  /** Whether the projection consumer runs (when not, absence proves nothing). */
  consumerReady(): boolean;
  /** Woken by projection commits (see `wakeOnNotify`). */
  signal: Wakeup;
  /** Re-reads at least this often even without a wake-up (one could be lost on a reconnect); 250 ms. */
  recheckMs?: number;
}

export const defaultRecheckMs = 250;

/**
 * Reads until `present(value)` holds or `waitMs` (real time) passed, re-reading on every projection
 * commit and at least every `recheckMs`; returns the last value read.
 */
export async function awaitProjected<T>(
  read: () => Promise<T>,
  present: (value: T) => boolean,
  lag: Pick<ProjectionLag, 'waitMs' | 'signal' | 'recheckMs'>,
): Promise<T> {
  const deadline = Date.now() + lag.waitMs;
  const recheckMs = lag.recheckMs ?? defaultRecheckMs;
  for (;;) {
    const seen = lag.signal.generation(); // before the read: a commit during it ends the wait at once
    const value = await read();
    const remaining = deadline - Date.now();
    if (present(value) || remaining <= 0) return value;
    await lag.signal.wait(seen, Math.min(remaining, recheckMs));
  }
}

/**
 * What an id still absent after the wait means: 'not-yet-known' (answer a retriable UNAVAILABLE) when it
 * is a UUIDv7 minted within `graceMs` of now or the projection consumer is not running; else 'unknown'.
 */
export function classifyAbsence(
  id: string,
  lag: Pick<ProjectionLag, 'graceMs' | 'consumerReady'>,
  now: Date,
): 'not-yet-known' | 'unknown' {
  const minted = uuidV7Time(id);
  const recent = minted !== undefined && Math.abs(now.getTime() - minted) <= lag.graceMs;
  return recent || !lag.consumerReady() ? 'not-yet-known' : 'unknown';
}

/**
 * Wakes `signal` on every notification on `channel`: projection handlers `notify` it inside their
 * transaction, so waiters in every instance wake at commit. When LISTEN is not possible, waiters still
 * re-read every `recheckMs`. Resolves to the function that stops listening.
 */
export async function wakeOnNotify(
  database: SqlDatabase,
  channel: string,
  signal: Wakeup,
  logger: Logger,
): Promise<() => Promise<void>> {
  try {
    return await database.listen(channel, () => signal.wake());
  } catch (error) {
    logger.warn({ err: error, channel }, 'cannot listen for projection commits; waiting requests poll');
    return async () => {};
  }
}

/**
 * A worker (start/stop) holding the wake-up signal of a projection's commits: LISTEN on `channel` while
 * running. Any subgraph that projects another's entities starts one and hands `signal` to its lag policy.
 */
export function projectionCommits(database: SqlDatabase, channel: string, logger: Logger) {
  const signal = createWakeup();
  let unlisten: (() => Promise<void>) | undefined;
  return {
    signal,
    async start(): Promise<void> {
      unlisten = await wakeOnNotify(database, channel, signal, logger);
    },
    async stop(): Promise<void> {
      await unlisten?.();
    },
  };
}
