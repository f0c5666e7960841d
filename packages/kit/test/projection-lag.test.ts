import { randomUUID } from 'node:crypto';
import { createWakeup, silentLogger, uuidV7Time } from '@hsg/kit';
import { awaitProjected, classifyAbsence, type ProjectionLag, wakeOnNotify } from '@hsg/kit/events';
import type { SqlDatabase } from '@hsg/kit/sql';
import { describe, expect, it } from '@jest/globals';

const now = new Date('2026-03-02T06:00:00Z');

/** A UUIDv7 minted at `ms` (48-bit time, version 7, variant 10, random rest). */
function uuidV7At(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0') + randomUUID().replace(/-/g, '').slice(12);
  const chars = [...hex];
  chars[12] = '7';
  chars[16] = '8';
  const text = chars.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}
const minted = (agoMs: number) => uuidV7At(now.getTime() - agoMs);

const lag = (overrides: Partial<ProjectionLag> = {}): ProjectionLag => ({
  waitMs: 20,
  graceMs: 5 * 60_000,
  consumerReady: () => true,
  signal: createWakeup(),
  ...overrides,
});

describe('the creation time of a UUIDv7', () => {
  it('is read from its first 48 bits', () => {
    expect(uuidV7Time(uuidV7At(now.getTime()))).toBe(now.getTime());
  });

  it('is undefined for other UUID versions and other strings', () => {
    expect(uuidV7Time(randomUUID())).toBeUndefined();
    expect(uuidV7Time('not-a-uuid')).toBeUndefined();
  });
});

describe('an id absent from a projection', () => {
  it('is not yet known when it is a UUIDv7 minted within the grace (either side of now)', () => {
    expect(classifyAbsence(minted(60_000), lag(), now)).toBe('not-yet-known');
    expect(classifyAbsence(minted(-60_000), lag(), now)).toBe('not-yet-known'); // a clock a little ahead
  });

  it('is unknown when its UUIDv7 is older than the grace, or it is no UUIDv7', () => {
    expect(classifyAbsence(minted(10 * 60_000), lag(), now)).toBe('unknown');
    expect(classifyAbsence(randomUUID(), lag(), now)).toBe('unknown');
    expect(classifyAbsence('not-an-id', lag(), now)).toBe('unknown');
  });

  it('is not yet known, whatever its age, while the projection consumer is not ready', () => {
    expect(classifyAbsence(minted(24 * 3600_000), lag({ consumerReady: () => false }), now)).toBe(
      'not-yet-known',
    );
    expect(classifyAbsence(randomUUID(), lag({ consumerReady: () => false }), now)).toBe('not-yet-known');
  });
});

describe('waiting for a projection', () => {
  /** A read that returns what `projected` holds at the moment of the call, counting calls. */
  function reader(projected: { value: string | undefined }) {
    const read = async () => {
      read.calls += 1;
      return projected.value;
    };
    read.calls = 0;
    return read;
  }
  const present = (value: string | undefined) => value !== undefined;

  it('returns as soon as a projection commit brings the entity', async () => {
    const projected = { value: undefined as string | undefined };
    // Waits and rechecks of 60 s: only the wake can end it before the test's own timeout.
    const policy = lag({ waitMs: 60_000, recheckMs: 60_000 });
    const waiting = awaitProjected(reader(projected), present, policy);
    await new Promise((resolve) => setImmediate(resolve));
    projected.value = 'there';
    policy.signal.wake();
    expect(await waiting).toBe('there');
  });

  it('re-reads every recheckMs even without a wake-up (one can be lost on a reconnect)', async () => {
    const projected = { value: undefined as string | undefined };
    const read = reader(projected);
    const waiting = awaitProjected(read, present, lag({ waitMs: 60_000, recheckMs: 10 }));
    setTimeout(() => {
      projected.value = 'there';
    }, 50);
    expect(await waiting).toBe('there');
    expect(read.calls).toBeGreaterThan(1);
  });

  it('gives up after the wait and returns what is there', async () => {
    expect(await awaitProjected(reader({ value: undefined }), present, lag())).toBeUndefined();
  });

  it('does not wait when the entity is there', async () => {
    const read = reader({ value: 'there' });
    expect(await awaitProjected(read, present, lag({ waitMs: 60_000 }))).toBe('there');
    expect(read.calls).toBe(1);
  });
});

describe('waking on projection commits', () => {
  it('wakes the signal on every notification on the channel, until unlistened', async () => {
    const listeners = new Map<string, () => void>();
    const database = {
      listen: async (channel: string, onNotify: () => void) => {
        listeners.set(channel, onNotify);
        return async () => {
          listeners.delete(channel);
        };
      },
    } as Partial<SqlDatabase> as SqlDatabase;
    const signal = createWakeup();
    const unlisten = await wakeOnNotify(database, 'projections', signal, silentLogger());
    listeners.get('projections')?.();
    listeners.get('projections')?.();
    expect(signal.generation()).toBe(2);
    await unlisten();
    expect(listeners.size).toBe(0);
  });

  it('leaves waiters to poll when it cannot listen', async () => {
    const database = {
      listen: async () => {
        throw new Error('no LISTEN here');
      },
    } as Partial<SqlDatabase> as SqlDatabase;
    const unlisten = await wakeOnNotify(database, 'projections', createWakeup(), silentLogger());
    await expect(unlisten()).resolves.toBeUndefined();
  });
});
