import { badUserInput } from '@hsg/kit';
import type { Money } from './model.ts';

const MAX_SPECIALTY = 100;
const MAX_SPECIALTIES = 20;
const licensePattern = /^[A-Z0-9][A-Z0-9./-]{2,39}$/;
const currencies = new Set(Intl.supportedValuesOf('currency'));
/** Zone names only: letters first; offsets like "+02:00" are not zones (no daylight-saving rules). */
const zoneName = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** Upper-cased, so "gmc-123" and "GMC-123" are the same license (unique in the store). */
export function validLicenseNumber(value: string, field: string): string {
  const license = value.trim().toUpperCase();
  if (!licensePattern.test(license))
    throw badUserInput(`${field} must be 3-40 letters, digits, dots, slashes or dashes`, field);
  return license;
}

/** Trimmed, non-empty, de-duplicated case-insensitively (the first spelling wins); at least one. */
export function validSpecialties(values: readonly string[], field: string): string[] {
  const byKey = new Map<string, string>();
  for (const value of values) {
    const specialty = value.trim();
    if (specialty.length === 0) throw badUserInput(`${field} must not contain an empty specialty`, field);
    if (specialty.length > MAX_SPECIALTY)
      throw badUserInput(`${field} entries must be at most ${MAX_SPECIALTY} characters`, field);
    if (!byKey.has(specialty.toLowerCase())) byKey.set(specialty.toLowerCase(), specialty);
  }
  if (byKey.size === 0) throw badUserInput(`${field} must name at least one specialty`, field);
  if (byKey.size > MAX_SPECIALTIES)
    throw badUserInput(`${field} may name at most ${MAX_SPECIALTIES} specialties`, field);
  return [...byKey.values()];
}

/** An IANA zone the runtime knows, returned in its canonical spelling (europe/berlin → Europe/Berlin). */
export function validTimeZone(value: string, field: string): string {
  const zone = value.trim();
  const invalid = () =>
    badUserInput(`${field} must be an IANA time zone such as Europe/Berlin, got "${value}"`, field);
  if (!zoneName.test(zone)) throw invalid();
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw invalid();
  }
}

/** A non-negative amount in minor units of a current ISO 4217 currency. */
export function validMoney(money: Money, field: string): Money {
  const currency = money.currency.trim().toUpperCase();
  if (!Number.isSafeInteger(money.amount) || money.amount < 0)
    throw badUserInput(
      `${field}.amount must be a whole, non-negative number of minor units`,
      `${field}.amount`,
    );
  if (!/^[A-Z]{3}$/.test(currency) || !currencies.has(currency))
    throw badUserInput(`${field}.currency must be an ISO 4217 code such as EUR`, `${field}.currency`);
  return { amount: money.amount, currency };
}
