/**
 * HL7 date/times (DT, DTM, and TS's first component) as RFC 3339, the graph's DateTime:
 * `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`.
 *
 * - Missing parts are the start of the period sent: `202601` is 2026-01-01T00:00:00 (the graph has
 *   instants only, so the precision itself is not kept).
 * - Fractions of a second are cut to milliseconds (the graph keeps at most three digits).
 * - The offset is kept as sent (`+0100` → `+01:00`, `+0000` → `Z`). A value without one is wall time in
 *   the bridge's default zone (`HL7_DEFAULT_TIME_ZONE`, UTC unless set), written with that zone's offset
 *   at that moment.
 */

const pad = (value: number) => String(value).padStart(2, '0');

/** Milliseconds since the epoch of a wall time read as UTC (years below 100 taken literally). */
function wallMillis(year: number, month: number, day: number, hour: number, minute: number, second: number) {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC, in minutes, at an instant. */
function offsetAt(zone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(instant)))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const asUtc = wallMillis(
    parts.year ?? 1970,
    parts.month ?? 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/**
 * The offset a wall time has in a zone, as java.time reads it: a time that happens twice (the hour the
 * clocks go back) takes the earlier offset (summer time); a time that does not exist (the hour they
 * skip) takes the offset before the change, i.e. it is read that much later on the new clock. Cached per
 * zone and quarter hour of wall time.
 */
export function zoneOffsetMinutes(zone: string, wall: number): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 0;
  const key = `${zone}|${Math.floor(wall / 900_000)}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  // A day either side is outside any one transition: the offsets before and after it.
  const before = offsetAt(zone, wall - 86_400_000);
  const after = offsetAt(zone, wall + 86_400_000);
  const fits = (offset: number) => offsetAt(zone, wall - offset * 60_000) === offset;
  const valid = [before, after].filter(fits);
  const offset = valid.length > 0 ? Math.max(...valid) : before;
  if (offsets.size > 4096) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

/** Whether a name is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    formatterOf(zone);
    return true;
  } catch {
    return false;
  }
}

function offsetText(minutes: number): string {
  if (minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  return `${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function lastDayOf(year: number, month: number): number {
  if (month !== 2) return monthDays[month - 1] ?? 31;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

const twoDigits = Array.from({ length: 100 }, (_, value) => String(value).padStart(2, '0'));

/** The number written by `length` digits at `at`, or -1 when they are not all digits. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let index = at; index < at + length; index++) {
    const digit = text.charCodeAt(index) - 0x30;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The last answer: a message repeats its times (OBR-7 and OBX-14 of every result). */
let last = { input: '', zone: '', result: undefined as string | undefined };

/** An HL7 date/time as RFC 3339, or undefined when it is not one (a wrong form or a date that does not exist). */
export function hl7DateTime(input: string, defaultZone = 'UTC'): string | undefined {
  if (input === last.input && defaultZone === last.zone) return last.result;
  const result = convert(input, defaultZone);
  last = { input, zone: defaultZone, result };
  return result;
}

function convert(input: string, defaultZone: string): string | undefined {
  const value = input.trim();
  // The offset, if any, is the last five characters: +HHMM or -HHMM.
  let end = value.length;
  let offset: number | undefined;
  const sign = value.charAt(end - 5);
  if (end >= 9 && (sign === '+' || sign === '-')) {
    const hours = digits(value, end - 4, 2);
    const minutes = digits(value, end - 2, 2);
    if (hours < 0 || minutes < 0 || hours > 23 || minutes > 59) return undefined;
    offset = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
    end -= 5;
  }
  // YYYY, then MM, DD, HH, MM, SS two digits each, then .S to .SSSS after the seconds only.
  const point = value.indexOf('.');
  const whole = point >= 0 && point < end ? point : end;
  if (whole < 4 || whole > 14 || whole % 2 !== 0) return undefined;
  let fraction = '';
  if (whole < end) {
    const length = end - whole - 1;
    if (whole !== 14 || length < 1 || length > 4 || digits(value, whole + 1, length) < 0) return undefined;
    fraction = `.${value.slice(whole + 1, whole + 1 + Math.min(length, 3)).padEnd(3, '0')}`;
  }
  const year = digits(value, 0, 4);
  const part = (at: number, fallback: number) => (whole > at ? digits(value, at, 2) : fallback);
  const [month, day, hour, minute, second] = [part(4, 1), part(6, 1), part(8, 0), part(10, 0), part(12, 0)];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > lastDayOf(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  offset ??= zoneOffsetMinutes(defaultZone, wallMillis(year, month, day, hour, minute, second));
  return `${String(year).padStart(4, '0')}-${twoDigits[month]}-${twoDigits[day]}T${twoDigits[hour]}:${twoDigits[minute]}:${twoDigits[second]}${fraction}${offsetText(offset)}`;
}
