import { badUserInput } from '@hsg/kit';
import type { Weekday, WorkingHours } from './model.ts';

export const weekdays: readonly Weekday[] = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

const clock = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const MAX_RANGES = 70;

/** Minutes since midnight of an "HH:MM" time; "24:00" (the end of the day) is 1440. */
export function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/**
 * Validates a doctor's weekly hours and returns them normalised: sorted by weekday, then start. Each range
 * is "HH:MM" to "HH:MM" with start before end ("24:00" may end a day); ranges of one weekday may touch
 * (09:00-12:00 and 12:00-13:00) but not overlap. An empty list is allowed: a doctor without hours (on
 * leave) simply offers no slots.
 */
export function validWorkingHours(ranges: readonly WorkingHours[], field: string): WorkingHours[] {
  if (ranges.length > MAX_RANGES) throw badUserInput(`${field} may have at most ${MAX_RANGES} ranges`, field);
  for (const range of ranges) {
    if (!weekdays.includes(range.weekday)) throw badUserInput(`${field}.weekday must be MON..SUN`, field);
    for (const time of [range.start, range.end]) {
      if (!clock.test(time))
        throw badUserInput(`${field} times must be HH:MM (00:00-24:00), got "${time}"`, field);
    }
    if (minutesOf(range.start) >= minutesOf(range.end)) {
      throw badUserInput(
        `${field}: start must be before end (${range.weekday} ${range.start}-${range.end})`,
        field,
      );
    }
  }
  const sorted = ranges
    .map(({ weekday, start, end }) => ({ weekday, start, end }))
    .sort(
      (a, b) =>
        weekdays.indexOf(a.weekday) - weekdays.indexOf(b.weekday) || minutesOf(a.start) - minutesOf(b.start),
    );
  for (let index = 1; index < sorted.length; index++) {
    const [previous, current] = [sorted[index - 1], sorted[index]];
    if (
      previous &&
      current &&
      previous.weekday === current.weekday &&
      minutesOf(current.start) < minutesOf(previous.end)
    ) {
      throw badUserInput(
        `${field}: ranges on one weekday must not overlap (${current.weekday} ${previous.start}-${previous.end} and ${current.start}-${current.end})`,
        field,
      );
    }
  }
  return sorted;
}
