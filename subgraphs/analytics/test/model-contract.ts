import { randomUUID } from 'node:crypto';
import { type CloudEvent, createMarkerInbox, type Delivery, type InboxMarkers } from '@hsg/kit/events';
import { uniqueName } from '@hsg/testing';
import { describe, expect, it } from '@jest/globals';
import { dashboardOf, doctorStatsOf } from '../src/dashboard.ts';
import { factOfEvent } from '../src/facts.ts';
import type { AnalyticsModel } from '../src/model.ts';
import { dayRange } from '../src/range.ts';
import { booked, clinicDay, patient, result } from './events.ts';

export interface ModelUnderTest {
  model: AnalyticsModel;
  dispose(): Promise<void>;
}

/** What the consumer does with one delivery: the marker inbox around the fact's idempotent insert. */
async function deliver(model: AnalyticsModel, groupId: string, event: CloudEvent, markers?: InboxMarkers) {
  const fact = factOfEvent(event);
  if (!fact) throw new Error(`${event.type} is not counted`);
  const inbox = createMarkerInbox(markers ?? model.markers, { claimMs: 200, recheckMs: 5 });
  return inbox.deliver({ groupId, eventId: event.id }, async () => {
    await model.record(fact);
  });
}

const dashboard = async (model: AnalyticsModel, from: string, to: string, timeZone = 'UTC') => {
  const range = dayRange(from, to, timeZone);
  return dashboardOf(range, await model.groups(range));
};

/**
 * What every analytics model must do (ADR 0021), on MongoDB and in memory alike: count each event exactly
 * once whatever is delivered again, bucket days in the asked time zone, answer every metric, drop.
 */
export function describeAnalyticsModelContract(name: string, open: () => Promise<ModelUnderTest>): void {
  describe(`analytics model contract: ${name}`, () => {
    const withModel = (test: (model: AnalyticsModel) => Promise<void>) => async () => {
      const { model, dispose } = await open();
      try {
        await test(model);
      } finally {
        await dispose();
      }
    };
    const doctors = { a: randomUUID(), b: randomUUID() };

    it(
      'answers every metric of a clinic day as the events said',
      withModel(async (model) => {
        const group = uniqueName('group');
        for (const event of clinicDay(doctors)) await deliver(model, group, event);
        const day = await dashboard(model, '2026-05-04', '2026-05-04');
        expect(day).toMatchObject({
          patientsRegistered: 2,
          appointmentsBooked: 3,
          appointmentsCompleted: 2,
          appointmentsCancelled: 1,
          appointmentsNoShow: 1,
          noShowRate: 1 / 3,
          revenueInvoiced: [
            { amount: 5000, currency: 'EUR' },
            { amount: 1500, currency: 'USD' },
          ],
          revenuePaid: [{ amount: 3000, currency: 'EUR' }],
          resultsReceived: 4,
          resultsCorrected: 1,
          abnormalResultRate: 0.5,
          criticalResults: 1,
        });
        expect(day.byDoctor).toEqual([
          {
            doctorId: doctors.a,
            appointmentsBooked: 2,
            appointmentsCompleted: 1,
            appointmentsCancelled: 0,
            appointmentsNoShow: 1,
            noShowRate: 0.5,
          },
          {
            doctorId: doctors.b,
            appointmentsBooked: 1,
            appointmentsCompleted: 1,
            appointmentsCancelled: 1,
            appointmentsNoShow: 0,
            noShowRate: 0,
          },
        ]);
        expect(day.byTestCode).toEqual([
          {
            code: '2345-7',
            system: 'http://loinc.org',
            resultsReceived: 2,
            abnormalResults: 1,
            criticalResults: 1,
            abnormalResultRate: 0.5,
          },
          {
            code: '718-7',
            system: 'http://loinc.org',
            resultsReceived: 2,
            abnormalResults: 1,
            criticalResults: 0,
            abnormalResultRate: 0.5,
          },
        ]);
        const range = dayRange('2026-05-04', '2026-05-04', 'UTC');
        expect(doctorStatsOf(doctors.a, await model.groups(range, { doctorId: doctors.a }))).toEqual(
          day.byDoctor[0],
        );
        const before = await dashboard(model, '2026-05-03', '2026-05-03');
        expect(before).toMatchObject({
          patientsRegistered: 0,
          appointmentsBooked: 0,
          noShowRate: null,
          revenueInvoiced: [],
        });
      }),
    );

    it(
      'counts an event once however often it is delivered, to one group or two',
      withModel(async (model) => {
        const group = uniqueName('group');
        const event = booked(doctors.a, '2026-05-04T09:00:00Z');
        expect(await deliver(model, group, event)).toBe('applied');
        expect(await deliver(model, group, event)).toBe('duplicate'); // a redelivery
        await Promise.all([1, 2, 3].map(() => deliver(model, group, event))); // concurrent ones
        await deliver(model, uniqueName('replay'), event); // a replay by a fresh group
        expect(await model.record(factOfEvent(event) as NonNullable<ReturnType<typeof factOfEvent>>)).toBe(
          false,
        );
        expect((await dashboard(model, '2026-05-04', '2026-05-04')).appointmentsBooked).toBe(1);
      }),
    );

    it(
      'counts a batch delivered together once each: repeats, redeliveries, overlapping batches',
      withModel(async (model) => {
        const group = uniqueName('group');
        const events = [
          ...Array.from({ length: 6 }, (_, n) => patient(`2026-05-04T08:0${n}:00Z`)),
          ...Array.from({ length: 4 }, (_, n) => booked(doctors.a, `2026-05-04T09:0${n}:00Z`)),
          result('718-7', '2026-05-04T14:00:00Z', { abnormal: true }),
        ];
        const counted = (event: CloudEvent) => {
          const fact = factOfEvent(event);
          if (!fact) throw new Error(`${event.type} is not counted`);
          return fact;
        };
        const together = (inbox: ReturnType<typeof createMarkerInbox>, batch: CloudEvent[]) => {
          if (!inbox.deliverAll) throw new Error('no deliverAll');
          return inbox.deliverAll(
            batch.map((event) => ({
              delivery: { groupId: group, eventId: event.id },
              effect: async () => {
                await model.record(counted(event));
              },
            })),
          );
        };
        const options = { claimMs: 5_000, recheckMs: 5, together: true };
        const [one, two] = [
          createMarkerInbox(model.markers, options),
          createMarkerInbox(model.markers, options),
        ];
        // A dead process counted two of them and wrote no marker: they count once all the same.
        await model.record(counted(events[0] as CloudEvent));
        await model.record(counted(events[6] as CloudEvent));
        expect(await deliver(model, group, events[1] as CloudEvent)).toBe('applied');
        const first = events.slice(0, 8);
        const outcomes = await together(one, [...first, events[2] as CloudEvent]);
        expect(outcomes).toEqual([
          'applied',
          'duplicate', // delivered before
          ...Array.from({ length: 6 }, () => 'applied'),
          'duplicate', // a repeat within the batch
        ]);
        // Two consumers' batches that overlap, at the same time: each of the three new events is applied by one.
        const [left, right] = await Promise.all([
          together(one, events.slice(4)),
          together(two, events.slice(6)),
        ]);
        expect([...left, ...right].filter((outcome) => outcome === 'applied')).toHaveLength(3);
        const day = await dashboard(model, '2026-05-04', '2026-05-04');
        expect([day.patientsRegistered, day.appointmentsBooked, day.resultsReceived]).toEqual([6, 4, 1]);
      }),
    );

    it(
      'counts once when the process died between the effect and its marker (no transactions)',
      withModel(async (model) => {
        const group = uniqueName('group');
        const event = patient('2026-05-04T08:00:00Z');
        const delivery: Delivery = { groupId: group, eventId: event.id };
        // The dead process: it claimed the event, counted it, and never wrote `done` (nor committed).
        expect(
          await model.markers.claim(delivery, { owner: 'dead', until: Date.now() + 50 }),
        ).toBeUndefined();
        await model.record(factOfEvent(event) as NonNullable<ReturnType<typeof factOfEvent>>);
        // The redelivery waits out the claim, takes it over, applies again: the insert absorbs it.
        expect(await deliver(model, group, event)).toBe('applied');
        expect(await deliver(model, group, event)).toBe('duplicate');
        expect((await dashboard(model, '2026-05-04', '2026-05-04')).patientsRegistered).toBe(1);
      }),
    );

    it(
      'counts once when an effect failed midway and the consumer retries it',
      withModel(async (model) => {
        const group = uniqueName('group');
        const event = result('718-7', '2026-05-04T14:00:00Z', { abnormal: true });
        let failures = 1;
        const failingOnce: InboxMarkers = {
          ...model.markers,
          claim: model.markers.claim.bind(model.markers),
          takeOver: model.markers.takeOver.bind(model.markers),
          release: model.markers.release.bind(model.markers),
          complete: async (delivery) => {
            if (failures-- > 0) throw new Error('lost the connection after the effect');
            await model.markers.complete(delivery);
          },
        };
        await expect(deliver(model, group, event, failingOnce)).rejects.toThrow('lost the connection');
        expect(await deliver(model, group, event)).toBe('applied'); // its claim expired: taken over
        expect((await dashboard(model, '2026-05-04', '2026-05-04')).resultsReceived).toBe(1);
      }),
    );

    it(
      'buckets days in the asked time zone, across a DST change',
      withModel(async (model) => {
        const group = uniqueName('group');
        // Berlin springs forward on 2026-03-29 (02:00 CET → 03:00 CEST): that day is 23 hours long.
        for (const at of [
          '2026-03-28T22:59:00Z',
          '2026-03-28T23:30:00Z',
          '2026-03-29T21:59:00Z',
          '2026-03-29T22:00:00Z',
        ])
          await deliver(model, group, patient(at));
        const perDay = async (timeZone: string) =>
          (await dashboard(model, '2026-03-28', '2026-03-30', timeZone)).perDay.map((day) => [
            day.date,
            day.patientsRegistered,
          ]);
        expect(await perDay('Europe/Berlin')).toEqual([
          ['2026-03-28', 1],
          ['2026-03-29', 2],
          ['2026-03-30', 1],
        ]);
        expect(await perDay('UTC')).toEqual([
          ['2026-03-28', 2],
          ['2026-03-29', 2],
          ['2026-03-30', 0],
        ]);
        // New York is on daylight time already (since 8 March): all four fall in its evening.
        expect(await perDay('America/New_York')).toEqual([
          ['2026-03-28', 2],
          ['2026-03-29', 2],
          ['2026-03-30', 0],
        ]);
        expect((await dashboard(model, '2026-03-29', '2026-03-29', 'Europe/Berlin')).patientsRegistered).toBe(
          2,
        );
      }),
    );

    it(
      'keeps days exact in zones a quarter or half hour off the hour (buckets are quarter hours)',
      withModel(async (model) => {
        const group = uniqueName('group');
        // Kathmandu is UTC+5:45: its 5 May starts at 18:15Z on 4 May; Kolkata (UTC+5:30) at 18:30Z.
        for (const at of [
          '2026-05-04T18:14:59Z',
          '2026-05-04T18:15:00Z',
          '2026-05-04T18:29:59Z',
          '2026-05-04T18:30:00Z',
        ])
          await deliver(model, group, patient(at));
        const perDay = async (timeZone: string) =>
          (await dashboard(model, '2026-05-04', '2026-05-05', timeZone)).perDay.map(
            (day) => day.patientsRegistered,
          );
        expect(await perDay('Asia/Kathmandu')).toEqual([1, 3]);
        expect(await perDay('Asia/Kolkata')).toEqual([3, 1]);
      }),
    );

    it(
      'forgets every fact on drop and hands out a new consumer group',
      withModel(async (model) => {
        const before = await model.groupId();
        expect(await model.groupId()).toBe(before);
        await deliver(model, before, patient('2026-05-04T08:00:00Z'));
        const after = await model.drop();
        expect(after).not.toBe(before);
        expect(await model.groupId()).toBe(after);
        expect((await dashboard(model, '2026-05-04', '2026-05-04')).patientsRegistered).toBe(0);
      }),
    );
  });
}
