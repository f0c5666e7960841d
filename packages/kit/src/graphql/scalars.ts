import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (rejects 2023-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = datePattern.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

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
    if (typeof value === 'string' && rfc3339.test(value) && !Number.isNaN(Date.parse(value)))
      return new Date(value);
    throw invalid('DateTime must be an RFC 3339 date-time, e.g. 2026-11-22T09:30:00Z');
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING && rfc3339.test(ast.value) && !Number.isNaN(Date.parse(ast.value)))
      return new Date(ast.value);
    throw invalid('DateTime must be an RFC 3339 date-time, e.g. 2026-11-22T09:30:00Z');
  },
});
