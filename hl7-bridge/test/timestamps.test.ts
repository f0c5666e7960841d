import { describe, expect, it } from '@jest/globals';
import { hl7DateTime, isTimeZone } from '../src/timestamps.ts';

describe('HL7 date/times as RFC 3339', () => {
  it.each([
    ['2026', '2026-01-01T00:00:00Z'],
    ['202602', '2026-02-01T00:00:00Z'],
    ['20260215', '2026-02-15T00:00:00Z'],
    ['2026021509', '2026-02-15T09:00:00Z'],
    ['202602150930', '2026-02-15T09:30:00Z'],
    ['20260215093015', '2026-02-15T09:30:15Z'],
    ['20260215093015.1', '2026-02-15T09:30:15.100Z'],
    ['20260215093015.1234', '2026-02-15T09:30:15.123Z'],
    ['20260215093015+0100', '2026-02-15T09:30:15+01:00'],
    ['202602150930-0530', '2026-02-15T09:30:00-05:30'],
    ['20260215+0000', '2026-02-15T00:00:00Z'],
    ['20240229', '2024-02-29T00:00:00Z'],
  ])('reads %s as %s (UTC by default)', (value, expected) => {
    expect(hl7DateTime(value)).toBe(expected);
  });

  it.each([
    ['20260115083000', 'Europe/Berlin', '2026-01-15T08:30:00+01:00'],
    ['20260715083000', 'Europe/Berlin', '2026-07-15T08:30:00+02:00'],
    ['20260329013000', 'Europe/Berlin', '2026-03-29T01:30:00+01:00'],
    ['20260329033000', 'Europe/Berlin', '2026-03-29T03:30:00+02:00'],
    ['20260329023000', 'Europe/Berlin', '2026-03-29T02:30:00+01:00'], // skipped: 03:30 summer time
    ['20261025023000', 'Europe/Berlin', '2026-10-25T02:30:00+02:00'], // twice: the first
    ['20260405023000', 'Australia/Sydney', '2026-04-05T02:30:00+11:00'],
    ['20260115083000', 'America/New_York', '2026-01-15T08:30:00-05:00'],
    ['20260115083000+0000', 'Europe/Berlin', '2026-01-15T08:30:00Z'],
  ])('reads %s in %s as %s', (value, zone, expected) => {
    expect(hl7DateTime(value, zone)).toBe(expected);
  });

  it.each([
    '',
    '26',
    '2026-02-15',
    '20260230',
    '20230229',
    '20261301',
    '2026021524',
    '202602150960',
    '20260215093060',
    '20260215.5',
    '20260215093015.12345',
    '20260215+2500',
    '00000101',
    'tomorrow',
  ])('refuses %p', (value) => {
    expect(hl7DateTime(value)).toBeUndefined();
  });

  it('knows IANA zones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
