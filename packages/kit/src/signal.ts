/**
 * The one wake-up signal: `wake()` (a notification arrived: LISTEN/NOTIFY, an in-process append, a
 * projection commit) releases every waiter. A waiter first reads `generation()`, then looks at the store,
 * then `wait(seen, ms)`: a wake that came in between is not lost, because the wait returns at once when the
 * generation has moved past `seen`. Polling loops use it to cut their interval short; requests waiting for
 * a projection use it to re-read as soon as something was committed.
 */
export interface Wakeup {
  /** Increases on every wake(). */
  generation(): number;
  wake(): void;
  /** Resolves once the generation moved past `seen` (at once if it already has), after ms, or on abort. */
  wait(seen: number, ms: number, signal?: AbortSignal): Promise<void>;
}

export function createWakeup(): Wakeup {
  let generation = 0;
  const waiters = new Set<() => void>();
  return {
    generation: () => generation,
    wake() {
      generation += 1;
      for (const release of [...waiters]) release();
    },
    wait(seen, ms, signal) {
      if (generation !== seen || signal?.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const release = () => {
          clearTimeout(timer);
          waiters.delete(release);
          signal?.removeEventListener('abort', release);
          resolve();
        };
        const timer = setTimeout(release, ms);
        waiters.add(release);
        signal?.addEventListener('abort', release, { once: true });
      });
    },
  };
}
