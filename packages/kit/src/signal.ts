import { pause } from './retry.ts';

/**
 * A level-triggered wake-up: `wake()` ends the current or next `wait()` early. Loops that poll a store use
 * it so a notification (LISTEN/NOTIFY, an in-process append) cuts the poll interval short.
 */
export interface Wakeup {
  wake(): void;
  wait(ms: number, signal?: AbortSignal): Promise<void>;
}

export function createWakeup(): Wakeup {
  let pending = false;
  let current: AbortController | undefined;
  return {
    wake() {
      pending = true;
      current?.abort();
    },
    async wait(ms, signal) {
      if (pending || signal?.aborted) {
        pending = false;
        return;
      }
      current = new AbortController();
      const onAbort = () => current?.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      await pause(ms, current.signal);
      signal?.removeEventListener('abort', onAbort);
      current = undefined;
      pending = false;
    },
  };
}
