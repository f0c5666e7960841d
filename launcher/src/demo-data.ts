import type { PatientService } from '@hsg/patient';

// Synthetic people only: names from short lists, dates from a seeded generator. No real patient data.
const givenNames = [
  'Amara',
  'Bruno',
  'Chen',
  'Dalia',
  'Emeka',
  'Freya',
  'Goran',
  'Hana',
  'Ines',
  'Jonas',
  'Kofi',
  'Lena',
  'Mateo',
  'Nadia',
  'Omar',
  'Priya',
];
const familyNames = [
  'Okafor',
  'Lindqvist',
  'Moreau',
  'Tanaka',
  'Haddad',
  'Novak',
  'Silva',
  'Kowalski',
  'Brennan',
  'Mensah',
  'Rossi',
  'Yilmaz',
];
const genders = ['FEMALE', 'MALE', 'FEMALE', 'MALE', 'OTHER', 'UNKNOWN'] as const;
const cities = ['Northbridge', 'Eastvale', 'Southport', 'Westham'];

/** A small deterministic PRNG (mulberry32), so every fresh install gets the same demo patients. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Registers demo patients through the domain (so events flow too), once: only into an empty store. */
export async function loadDemoPatients(patient: PatientService, count = 40): Promise<number> {
  const existing = await patient.domain.search({}, 1, undefined);
  if (existing.totalCount > 0) return 0;
  const next = random(20261122);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  for (let index = 0; index < count; index++) {
    const given = pick(givenNames);
    const family = pick(familyNames);
    const birth = new Date(
      Date.UTC(1935 + Math.floor(next() * 85), Math.floor(next() * 12), 1 + Math.floor(next() * 28)),
    );
    await patient.domain.register({
      name: { given: [given], family },
      birthDate: birth.toISOString().slice(0, 10),
      gender: pick(genders),
      email: `${given}.${family}.${index}@example.test`.toLowerCase(),
      phone: `+1 555 01${String(index).padStart(2, '0')}`,
      address: { line: [`${1 + index} Demo Street`], city: pick(cities), postalCode: null, country: 'XX' },
    });
  }
  return count;
}
