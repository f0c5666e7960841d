import { describe, expect, it } from '@jest/globals';
import { validMoney, validSpecialties, validTimeZone } from '../src/validation.ts';
import { validWorkingHours } from '../src/working-hours.ts';

const range = (weekday: 'MON' | 'TUE' | 'SUN', start: string, end: string) => ({ weekday, start, end });

describe('doctor field rules', () => {
  it('accepts ranges that touch, sorted by weekday then start, and no hours at all', () => {
    expect(
      validWorkingHours(
        [range('SUN', '00:00', '24:00'), range('TUE', '12:00', '18:00'), range('TUE', '08:00', '12:00')],
        'hours',
      ),
    ).toEqual([
      range('TUE', '08:00', '12:00'),
      range('TUE', '12:00', '18:00'),
      range('SUN', '00:00', '24:00'),
    ]);
    expect(validWorkingHours([], 'hours')).toEqual([]);
  });

  it('allows the same hours on different weekdays but not a range inside another on one day', () => {
    expect(
      validWorkingHours([range('MON', '09:00', '17:00'), range('TUE', '09:00', '17:00')], 'h'),
    ).toHaveLength(2);
    expect(() =>
      validWorkingHours([range('MON', '09:00', '17:00'), range('MON', '10:00', '11:00')], 'h'),
    ).toThrow('must not overlap');
  });

  it('canonicalises time zones and refuses offsets and unknown names', () => {
    expect(validTimeZone(' europe/berlin ', 'tz')).toBe('Europe/Berlin');
    expect(validTimeZone('UTC', 'tz')).toBe('UTC');
    for (const zone of ['+02:00', '-05', 'GMT+2', 'Europe/Atlantis', '', 'Europe//Berlin'])
      expect(() => validTimeZone(zone, 'tz')).toThrow('IANA time zone');
  });

  it('upper-cases a current ISO 4217 currency and keeps zero fees', () => {
    expect(validMoney({ amount: 0, currency: 'chf' }, 'fee')).toEqual({ amount: 0, currency: 'CHF' });
    expect(() => validMoney({ amount: 1.5, currency: 'EUR' }, 'fee')).toThrow('fee.amount');
  });

  it('keeps the first spelling of specialties that differ only in case', () => {
    expect(validSpecialties(['Pediatrics', ' pediatrics', 'PEDIATRICS ', 'Neonatology'], 's')).toEqual([
      'Pediatrics',
      'Neonatology',
    ]);
  });
});
