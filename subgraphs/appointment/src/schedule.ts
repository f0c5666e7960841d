import type { Weekday, WorkingHours } from '@hsg/contracts';
import { DateTime, IANAZone } from 'luxon';
import type { Interval } from './model.ts';

/**
 * Working hours and slots. Hours are wall-clock times in the doctor's IANA zone; everything else is an
 * instant. Pure functions: the only clock is the `now` passed in.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const weekdays: readonly Weekday[] = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Slots start every this many minutes (or every `duration` minutes for shorter appointments). */
export const SLOT_GRID_MINUTES = 15;

export interface WorkingSchedule {
  timeZone: string;
  workingHours: WorkingHours[];
}

export const isTimeZone = (zone: string): boolean => IANAZone.isValidZone(zone);

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

function civilDate(date: string): CivilDate {
  const [year, month, day] = date.split('-').map(Number);
  return { year: year ?? 0, month: month ?? 0, day: day ?? 0 };
}

/** "HH:MM" as minutes after midnight; "24:00" is 1440 (the next midnight). */
const minutesOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/**
 * The first instant (ms) at which the wall clock in `zone` shows `minutes` past midnight of `date`, or
 * later. So a time the clocks repeat (autumn) is its earlier occurrence, and a time they skip (spring)
 * is the transition itself: a range "02:30-04:00" on a spring-forward day runs while clocks show 03:00-04:00.
 */
export function localInstant(zone: IANAZone, date: string, minutes: number): number {
  const { year, month, day } = civilDate(date);
  const wall = Date.UTC(year, month - 1, day) + minutes * MINUTE; // the wall time read as if it were UTC
  const offsets = [...new Set([zone.offset(wall - DAY), zone.offset(wall), zone.offset(wall + DAY)])];
  const valid = offsets
    .map((offset) => wall - offset * MINUTE)
    .filter((t) => zone.offset(t) * MINUTE === wall - t);
  if (valid.length > 0) return Math.min(...valid);
  // Skipped: the clock jumps over `wall` somewhere between these two instants; find the jump (whole minutes).
  let before = wall - Math.max(...offsets) * MINUTE;
  let after = wall - Math.min(...offsets) * MINUTE;
  const offsetBefore = zone.offset(before);
  while (after - before > MINUTE) {
    const middle = before + Math.floor((after - before) / (2 * MINUTE)) * MINUTE;
    if (zone.offset(middle) === offsetBefore) before = middle;
    else after = middle;
  }
  return after;
}

/** The weekday of a YYYY-MM-DD calendar date. */
export function weekdayOf(date: string): Weekday {
  const { year, month, day } = civilDate(date);
  return weekdays[new Date(Date.UTC(year, month - 1, day)).getUTCDay()] as Weekday;
}

/** The calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toISODate() ?? '';
}

/** The working intervals (as instants, in order) of a schedule on a local date. Empty for a bad zone. */
export function workingIntervals(schedule: WorkingSchedule, date: string): Interval[] {
  const zone = IANAZone.create(schedule.timeZone);
  if (!zone.isValid) return [];
  const weekday = weekdayOf(date);
  return schedule.workingHours
    .filter((hours) => hours.weekday === weekday)
    .map((hours) => ({
      start: new Date(localInstant(zone, date, minutesOf(hours.start))),
      end: new Date(localInstant(zone, date, minutesOf(hours.end))),
    }))
    .filter((interval) => interval.end > interval.start)
    .sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** Whether [start, end) lies entirely inside one working range of the local day it starts on. */
export function fitsWorkingHours(schedule: WorkingSchedule, start: Date, end: Date): boolean {
  if (!isTimeZone(schedule.timeZone)) return false;
  return workingIntervals(schedule, localDate(start, schedule.timeZone)).some(
    (interval) => interval.start <= start && end <= interval.end,
  );
}

export const slotStepMinutes = (durationMinutes: number): number =>
  Math.min(durationMinutes, SLOT_GRID_MINUTES);

const overlaps = (a: Interval, b: Interval): boolean => a.start < b.end && b.start < a.end;

/**
 * Free slots of `durationMinutes` inside the working intervals: starting at each interval's start and then
 * every `slotStepMinutes` (real minutes, so DST days come out right), not starting before `now`, not
 * overlapping any booked interval. Slots overlap each other: they are alternative start times.
 */
export function freeSlots(options: {
  working: Interval[];
  booked: Interval[];
  durationMinutes: number;
  now: Date;
}): Interval[] {
  const length = options.durationMinutes * MINUTE;
  const step = slotStepMinutes(options.durationMinutes) * MINUTE;
  const slots: Interval[] = [];
  for (const interval of options.working) {
    for (let at = interval.start.getTime(); at + length <= interval.end.getTime(); at += step) {
      const slot = { start: new Date(at), end: new Date(at + length) };
      if (slot.start < options.now) continue;
      if (options.booked.some((booked) => overlaps(booked, slot))) continue;
      slots.push(slot);
    }
  }
  return slots;
}
