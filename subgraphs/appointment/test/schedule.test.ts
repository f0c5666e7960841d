import type { WorkingHours } from '@hsg/contracts';
import { describe, expect, it } from '@jest/globals';
import { IANAZone } from 'luxon';
import {
  fitsWorkingHours,
  freeSlots,
  localInstant,
  type WorkingSchedule,
  weekdayOf,
  workingIntervals,
} from '../src/schedule.ts';

const berlin = IANAZone.create('Europe/Berlin');
const iso = (ms: number | Date) => new Date(ms).toISOString();
const hours = (weekday: WorkingHours['weekday'], start: string, end: string): WorkingHours => ({
  weekday,
  start,
  end,
});
const schedule = (timeZone: string, ...workingHours: WorkingHours[]): WorkingSchedule => ({
  timeZone,
  workingHours,
});
const span = (start: string, end: string) => ({ start: new Date(start), end: new Date(end) });

// Europe/Berlin: 2026-03-29 02:00 CET jumps to 03:00 CEST; 2026-10-25 03:00 CEST falls back to 02:00 CET.
describe('local wall-clock times as instants', () => {
  it('reads an ordinary time with the offset in force that day', () => {
    expect(iso(localInstant(berlin, '2026-01-15', 9 * 60))).toBe('2026-01-15T08:00:00.000Z');
    expect(iso(localInstant(berlin, '2026-07-15', 9 * 60))).toBe('2026-07-15T07:00:00.000Z');
  });

  it('maps a time the clocks skip to the moment they skip it', () => {
    expect(iso(localInstant(berlin, '2026-03-29', 2 * 60 + 30))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(localInstant(berlin, '2026-03-29', 3 * 60))).toBe('2026-03-29T01:00:00.000Z');
  });

  it('takes the earlier of a time the clocks repeat', () => {
    expect(iso(localInstant(berlin, '2026-10-25', 2 * 60 + 30))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(localInstant(berlin, '2026-10-25', 3 * 60))).toBe('2026-10-25T02:00:00.000Z');
  });

  it('reads 24:00 as the next midnight', () => {
    expect(iso(localInstant(berlin, '2026-03-28', 24 * 60))).toBe('2026-03-28T23:00:00.000Z');
  });

  it('knows the weekday of a calendar date', () => {
    expect(['2026-03-29', '2026-03-30', '2026-10-24'].map(weekdayOf)).toEqual(['SUN', 'MON', 'SAT']);
  });
});

describe('working intervals of a day', () => {
  it('keeps 09:00-17:00 eight real hours on both daylight-saving change days, with the right offsets', () => {
    const doctor = schedule('Europe/Berlin', hours('SUN', '09:00', '17:00'));
    expect(workingIntervals(doctor, '2026-03-29')).toEqual([
      span('2026-03-29T07:00:00Z', '2026-03-29T15:00:00Z'),
    ]);
    expect(workingIntervals(doctor, '2026-10-25')).toEqual([
      span('2026-10-25T08:00:00Z', '2026-10-25T16:00:00Z'),
    ]);
  });

  it('makes a range across the switch as long as the clocks say: shorter in spring, longer in autumn', () => {
    const doctor = schedule('Europe/Berlin', hours('SUN', '01:00', '04:00'), hours('SAT', '00:00', '24:00'));
    expect(workingIntervals(doctor, '2026-03-29')).toEqual([
      span('2026-03-29T00:00:00Z', '2026-03-29T02:00:00Z'),
    ]);
    expect(workingIntervals(doctor, '2026-10-25')).toEqual([
      span('2026-10-24T23:00:00Z', '2026-10-25T03:00:00Z'),
    ]);
    expect(workingIntervals(doctor, '2026-10-24')).toEqual([
      span('2026-10-23T22:00:00Z', '2026-10-24T22:00:00Z'),
    ]);
  });

  it('applies only the ranges of that weekday, in order, in the doctor’s own zone', () => {
    const doctor = schedule(
      'America/New_York',
      hours('MON', '13:00', '17:00'),
      hours('MON', '08:00', '12:00'),
      hours('TUE', '08:00', '12:00'),
    );
    // New York switched on 2026-03-08; Monday the 9th is on EDT (-04:00).
    expect(workingIntervals(doctor, '2026-03-09')).toEqual([
      span('2026-03-09T12:00:00Z', '2026-03-09T16:00:00Z'),
      span('2026-03-09T17:00:00Z', '2026-03-09T21:00:00Z'),
    ]);
    expect(workingIntervals(doctor, '2026-03-08')).toEqual([]);
  });

  it('has no intervals for an unknown time zone', () => {
    expect(workingIntervals(schedule('Mars/Olympus', hours('MON', '08:00', '12:00')), '2026-03-09')).toEqual(
      [],
    );
  });
});

describe('whether an appointment fits the working hours', () => {
  const doctor = schedule(
    'Europe/Berlin',
    hours('MON', '08:00', '12:00'),
    hours('MON', '13:00', '17:00'),
    hours('SUN', '01:00', '04:00'),
  );
  const fits = (start: string, minutes: number) =>
    fitsWorkingHours(doctor, new Date(start), new Date(Date.parse(start) + minutes * 60_000));

  it.each([
    ['inside the morning range', '2026-03-02T07:00:00Z', 30, true],
    ['ending exactly when the range ends', '2026-03-02T10:30:00Z', 30, true],
    ['starting before the range', '2026-03-02T06:45:00Z', 30, false],
    ['across the lunch break, though both ranges are working hours', '2026-03-02T10:45:00Z', 90, false],
    ['on a day without hours', '2026-03-03T08:00:00Z', 30, false],
    ['across the skipped hour (01:30 CET to 03:30 CEST)', '2026-03-29T00:30:00Z', 60, true],
    ['in the repeated hour’s second pass (02:30 CET)', '2026-10-25T01:30:00Z', 60, true],
    ['running past 04:00 CET on the autumn switch', '2026-10-25T02:30:00Z', 60, false],
  ])('%s: %s', (_case, start, minutes, expected) => {
    expect(fits(start, minutes)).toBe(expected);
  });
});

describe('free slots', () => {
  const working = [span('2026-03-29T07:00:00Z', '2026-03-29T15:00:00Z')];
  const now = new Date('2026-03-01T00:00:00Z');

  it('starts a slot every 15 minutes across the whole range, the last ending when the range ends', () => {
    const slots = freeSlots({ working, booked: [], durationMinutes: 60, now });
    expect(slots).toHaveLength(29);
    expect(slots[0]).toEqual(span('2026-03-29T07:00:00Z', '2026-03-29T08:00:00Z'));
    expect(slots.at(-1)).toEqual(span('2026-03-29T14:00:00Z', '2026-03-29T15:00:00Z'));
  });

  it('steps by the duration when it is shorter than the 15-minute grid', () => {
    const slots = freeSlots({
      working: [span('2026-03-29T07:00:00Z', '2026-03-29T07:30:00Z')],
      booked: [],
      durationMinutes: 10,
      now,
    });
    expect(slots.map((slot) => iso(slot.start))).toEqual([
      '2026-03-29T07:00:00.000Z',
      '2026-03-29T07:10:00.000Z',
      '2026-03-29T07:20:00.000Z',
    ]);
  });

  it('leaves out slots overlapping a booking, and slots starting before now', () => {
    const slots = freeSlots({
      working,
      booked: [span('2026-03-29T10:10:00Z', '2026-03-29T10:40:00Z')],
      durationMinutes: 30,
      now: new Date('2026-03-29T08:05:00Z'),
    });
    const starts = slots.map((slot) => iso(slot.start));
    expect(starts[0]).toBe('2026-03-29T08:15:00.000Z');
    expect(starts).toContain('2026-03-29T09:30:00.000Z'); // ends 10:00, before the booking
    expect(starts.filter((start) => start >= '2026-03-29T09:45' && start < '2026-03-29T10:40')).toEqual([]);
    expect(starts).toContain('2026-03-29T10:45:00.000Z');
  });
});
