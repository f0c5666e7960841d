import { createWakeup } from '@hsg/kit';
import { describe, expect, it } from '@jest/globals';

describe('the wake-up signal', () => {
  it('releases every waiter on a wake, and a waiter that saw an older generation at once', async () => {
    const signal = createWakeup();
    const seen = signal.generation();
    const waiters = [signal.wait(seen, 60_000), signal.wait(seen, 60_000)];
    signal.wake();
    await Promise.all(waiters);
    await signal.wait(seen, 60_000); // the generation moved on since `seen`
    expect(signal.generation()).toBe(seen + 1);
  });

  it('does not lose a wake that came between reading the generation and waiting', async () => {
    const signal = createWakeup();
    const seen = signal.generation();
    signal.wake(); // e.g. a commit while the waiter was reading the store
    // Returns at once; a lost wake would wait 60 s and fail on the test's own timeout.
    await expect(signal.wait(seen, 60_000)).resolves.toBeUndefined();
    expect(signal.generation()).toBe(seen + 1);
  });

  it('ends the wait after ms without a wake, and at once on abort', async () => {
    const signal = createWakeup();
    const started = performance.now();
    await signal.wait(signal.generation(), 30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    const abort = new AbortController();
    const waiting = signal.wait(signal.generation(), 60_000, abort.signal);
    abort.abort();
    await waiting;
    await signal.wait(signal.generation(), 60_000, abort.signal); // already aborted: returns at once
    expect(signal.generation()).toBe(0);
  });
});
