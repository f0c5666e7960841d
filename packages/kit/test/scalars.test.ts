import { describe, expect, it } from '@jest/globals';
import { Kind } from 'graphql';
import { DateScalar, DateTimeScalar, isCalendarDate, parseDateTime } from '../src/graphql/index.ts';

describe('Date', () => {
  it.each(['2024-02-29', '0001-01-01', '9999-12-31', '0099-03-01'])('accepts the real date %s', (value) => {
    expect(isCalendarDate(value)).toBe(true);
    expect(DateScalar.parseValue(value)).toBe(value);
  });

  it.each([
    '2023-02-29',
    '2023-02-30',
    '2023-04-31',
    '2023-13-01',
    '2023-00-10',
    '2023-01-00',
    '0000-01-01',
    '2023-1-1',
    '20230101',
    '',
  ])('refuses %j with BAD_USER_INPUT', (value) => {
    expect(isCalendarDate(value)).toBe(false);
    expect(() => DateScalar.parseValue(value)).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }),
    );
    expect(() => DateScalar.parseLiteral({ kind: Kind.STRING, value })).toThrow('Date must be');
  });
});

describe('DateTime', () => {
  it.each([
    ['2027-02-28T10:00:00Z', '2027-02-28T10:00:00.000Z'],
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
    ['2026-11-22T09:30:00+01:00', '2026-11-22T08:30:00.000Z'],
    ['2026-11-22t09:30:00.5-05:30', '2026-11-22T15:00:00.500Z'],
  ])('reads %s as the instant %s and writes it back exactly', (value, instant) => {
    const parsed = DateTimeScalar.parseValue(value) as Date;
    expect(DateTimeScalar.serialize(parsed)).toBe(instant);
    expect(DateTimeScalar.serialize(DateTimeScalar.parseValue(instant))).toBe(instant);
  });

  it.each([
    '2027-02-30T10:00:00Z', // no such day (it used to become 2027-03-02)
    '2027-02-28T24:00:00Z', // no hour 24 (it used to become the next day)
    '2027-02-28T10:60:00Z',
    '2027-02-28T10:00:60Z', // no leap seconds
    '0000-01-01T00:00:00Z', // no year 0 (Postgres refuses it)
    '2027-02-28T10:00:00', // no offset
    '2027-02-28T10:00:00+24:00',
    '2027-02-28T10:00:00.1234Z', // finer than a millisecond would not come back as sent
    '2027-02-28 10:00:00Z',
    'tomorrow',
  ])('refuses %s with BAD_USER_INPUT', (value) => {
    expect(parseDateTime(value)).toBeUndefined();
    expect(() => DateTimeScalar.parseValue(value)).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }),
    );
    expect(() => DateTimeScalar.parseLiteral({ kind: Kind.STRING, value })).toThrow('DateTime must be');
  });
});
