import { silentLogger } from '@hsg/kit';
import { createLeasedLoop, eventKitMigrations, type LeasedLoop } from '@hsg/kit/events';
import { runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { pgliteBackend, setupTimeoutMs, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';

const backend = pgliteBackend();
let database: SqlDatabase;
const loops: LeasedLoop[] = [];

beforeAll(async () => {
  database = await backend.open(backend.newNamespace());
  await runMigrations(database, [eventKitMigrations]);
}, setupTimeoutMs);

afterAll(async () => {
  for (const loop of loops) await loop.stop();
  await backend.dispose();
}, 60_000);

/** A loop whose passes are counted; `work` decides each pass's answer (default: idle). */
function loopOn(
  lease: string,
  options: {
    leaseMs?: number;
    pollIntervalMs?: number;
    work?: (pass: number) => Promise<'more' | 'idle'>;
  } = {},
) {
  let passes = 0;
  const loop = createLeasedLoop({
    database,
    lease,
    leaseMs: options.leaseMs ?? 3000,
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
    logger: silentLogger(),
    name: 'test loop',
    work: async () => {
      passes += 1;
      return (await options.work?.(passes)) ?? 'idle';
    },
  });
  loops.push(loop);
  return Object.assign(loop, { passes: () => passes });
}

async function leaseRow(name: string) {
  const { rows } = await sql<{ owner: string; expires_at: Date }>`
    select owner, expires_at from kit_leases where name = ${name}`.execute(database.db);
  return rows[0];
}

describe('the lease-and-work loop', () => {
  it('lets one holder of a lease work; another stands by and takes over once the first stops', async () => {
    const first = loopOn('shared', { leaseMs: 600 });
    await first.start();
    await waitFor(() => first.passes() >= 1);
    const second = loopOn('shared', { leaseMs: 600 });
    await second.start();
    for (let n = 0; n < 5; n++) {
      first.wake();
      second.wake();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(second.passes()).toBe(0);
    expect(second.state()).toBe('starting'); // standing by does not make it ready (unless asked to)
    await first.stop();
    expect(await leaseRow('shared')).toBeUndefined(); // given up at once, not left to expire
    await waitFor(() => second.passes() >= 1, 5000);
    expect(second.state()).toBe('ready');
  });

  it('renews its lease only when a third of its time has passed, not on every pass', async () => {
    const loop = loopOn('renewal', { leaseMs: 6000 });
    await loop.start();
    await waitFor(() => loop.passes() >= 1);
    const before = await leaseRow('renewal');
    for (let n = 0; n < 20; n++) {
      const passes = loop.passes();
      loop.wake();
      await waitFor(() => loop.passes() > passes);
    }
    expect(loop.passes()).toBeGreaterThanOrEqual(21);
    expect(await leaseRow('renewal')).toEqual(before); // 20 passes, no lease write
    await new Promise((resolve) => setTimeout(resolve, 2100)); // past a third of the lease time
    const passes = loop.passes();
    loop.wake();
    await waitFor(() => loop.passes() > passes);
    const after = await leaseRow('renewal');
    expect(after?.owner).toBe(before?.owner);
    expect(after?.expires_at.getTime()).toBeGreaterThan(before?.expires_at.getTime() ?? Number.NaN);
  });

  it('runs the next pass at once after "more", and when woken during a pass', async () => {
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const loop = loopOn('passes', {
      work: async (pass) => {
        if (pass === 1) return 'more';
        if (pass === 2) await blocked; // woken while this pass runs
        return 'idle';
      },
    });
    await loop.start();
    await waitFor(() => loop.passes() === 2);
    loop.wake();
    release();
    await waitFor(() => loop.passes() === 3, 2000); // the poll interval is a minute: the wake did it
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(loop.passes()).toBe(3); // and then it waits
  });

  it('degrades on a failing pass, backs off, and recovers', async () => {
    const loop = loopOn('failing', {
      work: async (pass) => {
        if (pass <= 2) throw new Error('store unreachable');
        return 'idle';
      },
    });
    await loop.start();
    await waitFor(() => loop.failures() >= 1);
    expect(loop.state()).toBe('degraded');
    await waitFor(() => loop.passes() >= 3 && loop.state() === 'ready', 5000);
    expect(loop.failures()).toBe(0);
    await loop.stop();
    expect(loop.state()).toBe('stopped');
    await loop.stop(); // a second stop is harmless
  });
});
