import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD in years 0001..9999 (rejects 2023-02-30, 0000-01-01). */
export function isCalendarDate(value: string): boolean {
  const match = datePattern.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; setUTCFullYear keeps years below 100 literal.
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  return day <= last.getUTCDate();
}

/**
 * RFC 3339 date-times with a calendar date that exists, hours 00..23 (no 24:00), no leap second, at most
 * millisecond precision (so the value comes back exactly as it went in) and an offset within ±23:59.
 */
const dateTimePattern =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d{1,3})?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

/** The instant a strict RFC 3339 date-time names, or undefined for anything else (see dateTimePattern). */
export function parseDateTime(value: string): Date | undefined {
  const match = dateTimePattern.exec(value);
  if (!match?.[1] || !isCalendarDate(match[1])) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const invalid = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/** `Date`: a calendar date as a 'YYYY-MM-DD' string, in and out (no time zone to invent). */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD.',
  serialize(value) {
    if (typeof value === 'string' && isCalendarDate(value)) return value;
    throw new GraphQLError(`Date cannot represent ${JSON.stringify(value)}`);
  },
  parseValue(value) {
    if (typeof value === 'string' && isCalendarDate(value)) return value;
    throw invalid('Date must be a real calendar date written YYYY-MM-DD');
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING && isCalendarDate(ast.value)) return ast.value;
    throw invalid('Date must be a real calendar date written YYYY-MM-DD');
  },
});

const dateTimeRule =
  'DateTime must be a real RFC 3339 date-time with an offset and at most milliseconds, e.g. 2026-11-22T09:30:00Z';

/** `DateTime`: an RFC 3339 instant; serialized in UTC with milliseconds. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant in RFC 3339 form, e.g. 2026-11-22T09:30:00Z.',
  serialize(value) {
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    if (date && !Number.isNaN(date.getTime())) return date.toISOString();
    throw new GraphQLError(`DateTime cannot represent ${JSON.stringify(value)}`);
  },
  parseValue(value) {
    const date = typeof value === 'string' ? parseDateTime(value) : undefined;
    if (date) return date;
    throw invalid(dateTimeRule);
  },
  parseLiteral(ast) {
    const date = ast.kind === Kind.STRING ? parseDateTime(ast.value) : undefined;
    if (date) return date;
    throw invalid(dateTimeRule);
  },
});
