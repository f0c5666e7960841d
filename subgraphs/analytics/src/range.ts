import { AppError } from '@hsg/kit';
import { DateTime, IANAZone } from 'luxon';
import type { DayRange } from './model.ts';

/** The longest range a query may span: a year, leap day included. */
export const maxRangeDays = 366;

const invalid = (rule: string, message: string, field: string) =>
  new AppError('BAD_USER_INPUT', `${message} (rule ${rule})`, { details: { rule, field } });

/**
 * The whole days from `from` to `to` (both included, YYYY-MM-DD) in `timeZone`, as instants: each day
 * starts at its local midnight, so a day across a DST change is 23 or 25 hours long.
 */
export function dayRange(from: string, to: string, timeZone: string): DayRange {
  if (!IANAZone.isValidZone(timeZone))
    throw invalid('UNKNOWN_TIME_ZONE', 'timeZone must be an IANA time zone, e.g. Europe/Berlin', 'timeZone');
  const first = DateTime.fromISO(from, { zone: timeZone }).startOf('day');
  const last = DateTime.fromISO(to, { zone: timeZone }).startOf('day');
  if (!first.isValid) throw invalid('INVALID_DATE', 'from must be a calendar date', 'from');
  if (!last.isValid) throw invalid('INVALID_DATE', 'to must be a calendar date', 'to');
  if (last < first) throw invalid('RANGE_REVERSED', 'from must not be after to', 'from');
  const count = Math.round(last.diff(first, 'days').days) + 1;
  if (count > maxRangeDays)
    throw invalid('RANGE_TOO_LONG', `the range may span at most ${maxRangeDays} days`, 'to');
  const days = Array.from({ length: count }, (_, index) => first.plus({ days: index }).toISODate() as string);
  return {
    start: first.toJSDate(),
    end: last.plus({ days: 1 }).startOf('day').toJSDate(),
    timeZone,
    days,
  };
}

/** The day an instant falls on in the time zone, YYYY-MM-DD. */
export const dayOf = (at: Date, timeZone: string): string =>
  DateTime.fromJSDate(at, { zone: timeZone }).toISODate() as string;
