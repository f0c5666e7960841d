import { randomUUID } from 'node:crypto';
import { silentLogger } from '@hsg/kit';
import type { EventTransport } from '@hsg/kit/events';
import { waitFor } from '@hsg/testing';
import { expect } from '@jest/globals';
import { createAnalyticsConsumer } from '../src/consumer.ts';
import { createAnalyticsDomain } from '../src/domain.ts';
import type { AnalyticsModel } from '../src/model.ts';
import { rebuildModel } from '../src/rebuild.ts';
import { booked, clinicDay, patient, publish, result } from './events.ts';

const ranges = [
  ['2026-05-04', '2026-05-04', 'UTC'],
  ['2026-05-01', '2026-05-31', 'Europe/Berlin'],
  ['2026-03-28', '2026-03-30', 'Europe/Berlin'],
  ['2026-01-01', '2026-12-31', 'America/New_York'],
  ['2026-03-29', '2026-03-29', 'Asia/Kolkata'],
] as const;

/**
 * Feeds a live model through its consumer (redeliveries included), then drops and rebuilds it from the
 * topics: every dashboard and doctor's stats answer as they did before.
 */
export async function expectRebuildEqualsLive(
  model: AnalyticsModel,
  transport: EventTransport,
): Promise<void> {
  const doctors = { a: randomUUID(), b: randomUUID() };
  const events = [
    ...clinicDay(doctors),
    patient('2026-03-28T23:30:00Z'),
    booked(doctors.b, '2026-03-29T21:59:00Z'),
    result('2345-7', '2026-03-29T22:00:00Z', { abnormal: true }),
  ];
  const duplicates = events.slice(0, 5); // the relay's duplicate sends
  const live = await createAnalyticsConsumer({ model, transport, logger: silentLogger() });
  await live.start();
  await publish(transport, [...events, ...duplicates]);
  await waitFor(() => live.stats().processed === events.length && live.stats().duplicates === 5, 30_000);
  await live.stop();

  const domain = createAnalyticsDomain(model);
  const answers = async () =>
    Promise.all(
      ranges.map(async ([from, to, zone]) => ({
        dashboard: await domain.dashboard(from, to, zone),
        a: await domain.doctorStats(doctors.a, from, to, zone),
        b: await domain.doctorStats(doctors.b, from, to, zone),
      })),
    );
  const before = await answers();
  expect(before[0]?.dashboard.appointmentsBooked).toBe(3);

  const liveGroup = await model.groupId();
  const rebuilt = await rebuildModel({ model, transport, logger: silentLogger(), quietMs: 1_000 });
  expect(rebuilt.groupId).not.toBe(liveGroup);
  expect(rebuilt.handled).toBe(events.length + duplicates.length);
  expect(await answers()).toEqual(before);
}
