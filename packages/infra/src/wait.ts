// Polling helpers: every readiness check in this package is "try, sleep, try again until a deadline".
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

export type WaitOptions = {
  timeoutMs?: number;
  intervalMs?: number;
  /** Checked between attempts: return an Error to give up early (e.g. the server process died). */
  abort?: () => Error | undefined | Promise<Error | undefined>;
};

/** Resolves once `check` returns true; rejects with `what` in the message on timeout or abort. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 30_000, intervalMs = 100, abort }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    const reason = await abort?.();
    if (reason) throw reason;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
