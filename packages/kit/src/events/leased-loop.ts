import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type BackoffOptions, backoffDelay, pause } from '../retry.ts';
import { createWakeup } from '../signal.ts';
import { createLeaseHolder } from '../sql/lease.ts';
import type { SqlDatabase } from '../sql/types.ts';
import type { ComponentState } from './transport.ts';

export interface LeasedLoopOptions {
  database: SqlDatabase;
  /** The lease's name in the namespace's `kit_leases`: one holder at a time does the work. */
  lease: string;
  /** A holder that stops renewing loses the lease after this long. */
  leaseMs: number;
  /** How long an idle loop waits for a wake-up before it looks again. */
  pollIntervalMs: number;
  /** A NOTIFY channel that wakes the loop; without one (or when LISTEN fails) it only polls. */
  channel?: string;
  logger: Logger;
  /** What the loop is, for its log lines ("outbox relay"). */
  name: string;
  /** Report 'ready' while another instance holds the lease (else the state stays as it was). */
  readyWhileStandingBy?: boolean;
  /** Backoff after a failed pass (default 100 ms doubling to 5 s). */
  backoff?: BackoffOptions;
  /**
   * One pass of work under the lease. 'more': there may be more at once, run the next pass now; 'idle':
   * wait for a wake-up (one that arrived during the pass ends the wait at once) or the poll interval.
   */
  work(signal: AbortSignal): Promise<'more' | 'idle'>;
}

export interface LeasedLoop {
  start(): Promise<void>;
  /** Lets the pass in hand finish, stops listening and gives the lease up. */
  stop(): Promise<void>;
  wake(): void;
  state(): ComponentState;
  /** Consecutive failed passes (0 once a pass succeeded). */
  failures(): number;
}

/**
 * The one lease-and-work loop (the outbox relay, the embedded log's consumers): while it holds the lease,
 * it works in passes; between passes it waits for a notification or the poll interval; a failed pass backs
 * off and retries. The lease is renewed only when a third of its time has passed, not on every pass, so a
 * busy loop does not write its lease row once per notification.
 */
export function createLeasedLoop(options: LeasedLoopOptions): LeasedLoop {
  const { database, leaseMs, pollIntervalMs, channel, logger, name } = options;
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 5000 };
  const lease = createLeaseHolder(database, options.lease, randomUUID(), leaseMs);
  const wakeup = createWakeup();
  const abort = new AbortController();
  // Idle waits end in time to renew the lease before it can expire.
  const idleMs = Math.min(pollIntervalMs, leaseMs / 3);
  let state: ComponentState = 'stopped';
  let failures = 0;
  let started: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  let loop: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      const seen = wakeup.generation();
      try {
        if (!(await lease.hold())) {
          if (options.readyWhileStandingBy) state = 'ready'; // another instance works; stand by
          await wakeup.wait(seen, leaseMs / 3, abort.signal);
          continue;
        }
        if (failures === 0) state = 'ready'; // holding the lease and working (degraded until a pass succeeds)
        const next = await options.work(abort.signal);
        if (failures > 0) logger.info({ after: failures }, `${name} recovered`);
        failures = 0;
        state = 'ready';
        if (next === 'idle') await wakeup.wait(seen, idleMs, abort.signal);
      } catch (error) {
        failures += 1;
        state = 'degraded';
        logger.warn({ err: error, failures }, `${name} failed; retrying`);
        await pause(backoffDelay(failures, backoff), abort.signal);
      }
    }
  }

  return {
    start() {
      started ??= (async () => {
        if (abort.signal.aborted) return; // stopped before it started
        state = 'starting';
        if (channel) {
          try {
            unlisten = await database.listen(channel, () => wakeup.wake());
          } catch (error) {
            logger.warn({ err: error }, `${name} cannot listen for notifications; polling only`);
          }
        }
        if (!abort.signal.aborted) loop = run();
      })();
      return started;
    },
    stop() {
      stopped ??= (async () => {
        state = 'stopping';
        abort.abort();
        await started;
        await loop;
        await unlisten?.();
        await lease.release().catch(() => {});
        state = 'stopped';
      })();
      return stopped;
    },
    wake: () => wakeup.wake(),
    state: () => state,
    failures: () => failures,
  };
}
