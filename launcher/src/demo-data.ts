import { randomUUID } from 'node:crypto';
import { appointmentBooked } from '@hsg/contracts';
import { waitUntil } from '@hsg/infra';
import { AppError } from '@hsg/kit';
import type { Role } from '@hsg/kit/auth';
import { outgoing } from '@hsg/kit/events';
import type { RunningSubgraph } from '@hsg/kit/runtime';

import type { SubgraphDefinitionOf } from './registry.ts';

type IdentityService = RunningSubgraph<SubgraphDefinitionOf<'identity'>>;
type PatientService = RunningSubgraph<SubgraphDefinitionOf<'patient'>>;
type DoctorService = RunningSubgraph<SubgraphDefinitionOf<'doctor'>>;
type AppointmentService = RunningSubgraph<SubgraphDefinitionOf<'appointment'>>;
type BillingService = RunningSubgraph<SubgraphDefinitionOf<'billing'>>;
type ObservationService = RunningSubgraph<SubgraphDefinitionOf<'observation'>>;

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

/** Registers demo patients through the domain (so events flow too). */
async function loadDemoPatients(patient: PatientService, count = 40): Promise<string[]> {
  const ids: string[] = [];
  const next = random(20261122);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  for (let index = 0; index < count; index++) {
    const given = pick(givenNames);
    const family = pick(familyNames);
    const birth = new Date(
      Date.UTC(1935 + Math.floor(next() * 85), Math.floor(next() * 12), 1 + Math.floor(next() * 28)),
    );
    const registered = await patient.domain.register({
      name: { given: [given], family },
      birthDate: birth.toISOString().slice(0, 10),
      gender: pick(genders),
      email: `${given}.${family}.${index}@example.test`.toLowerCase(),
      phone: `+1 555 01${String(index).padStart(2, '0')}`,
      address: { line: [`${1 + index} Demo Street`], city: pick(cities), postalCode: null, country: 'XX' },
    });
    ids.push(registered.id);
  }
  return ids;
}

const weekdays = ['MON', 'TUE', 'WED', 'THU', 'FRI'] as const;
const clinicDay = (start: string, end: string) => weekdays.map((weekday) => ({ weekday, start, end }));
const demoDoctors = [
  {
    given: 'Hana',
    family: 'Okafor',
    specialties: ['General practice'],
    hours: [...clinicDay('08:00', '12:00'), ...clinicDay('13:00', '17:00')],
  },
  { given: 'Mateo', family: 'Lindqvist', specialties: ['Cardiology'], hours: clinicDay('09:00', '16:00') },
  {
    given: 'Priya',
    family: 'Haddad',
    specialties: ['Dermatology', 'Allergology'],
    hours: [...clinicDay('10:00', '18:00'), { weekday: 'SAT' as const, start: '09:00', end: '13:00' }],
  },
  { given: 'Goran', family: 'Mensah', specialties: ['Paediatrics'], hours: clinicDay('07:30', '15:30') },
];

/** Registers the demo doctors: one clinic in Europe/Berlin, fees in euro cents. */
async function loadDemoDoctors(doctor: DoctorService): Promise<string[]> {
  const ids: string[] = [];
  for (const [index, demo] of demoDoctors.entries()) {
    const registered = await doctor.domain.register({
      name: { given: [demo.given], family: demo.family },
      licenseNumber: `DEMO-LIC-${String(index + 1).padStart(4, '0')}`,
      specialties: demo.specialties,
      timeZone: 'Europe/Berlin',
      workingHours: demo.hours,
      consultationFee: { amount: 6000 + index * 1500, currency: 'EUR' },
    });
    ids.push(registered.id);
  }
  return ids;
}

/**
 * Books this week's demo appointments: for each of the next 7 days, a few 30-minute visits per doctor in
 * free slots, for random demo patients. Waits out the appointment subgraph's projections catching up with
 * the people just registered (UNAVAILABLE); skips a slot another visit already took (CONFLICT).
 */
async function loadDemoAppointments(
  appointment: AppointmentService,
  doctorIds: string[],
  patientIds: string[],
  perDoctorPerDay = 4,
): Promise<number> {
  const next = random(20261123);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  // Slots come from the appointment subgraph's projection of doctors: wait until it has them all.
  await waitUntil(
    'the appointment projection to receive the demo doctors',
    async () => (await appointment.store.findDoctors(doctorIds)).length >= doctorIds.length,
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  let booked = 0;
  for (let day = 0; day < 7; day++) {
    const date = new Date(Date.now() + day * 86_400_000).toISOString().slice(0, 10);
    const slotsByDoctor = await appointment.domain.slots(doctorIds, date, 30);
    for (const [index, slots] of slotsByDoctor.entries()) {
      const doctorId = doctorIds[index] as string;
      const halfHourly = slots.filter((slot) => slot.start.getUTCMinutes() % 30 === 0);
      for (let visit = 0; visit < Math.min(perDoctorPerDay, halfHourly.length); visit++) {
        const slot = pick(halfHourly);
        const input = {
          patientId: pick(patientIds),
          doctorId,
          start: slot.start,
          durationMinutes: 30,
          reason: 'check-up',
        };
        if (await bookPatiently(appointment, input)) booked++;
      }
    }
  }
  return booked;
}

/**
 * Last week's visits, completed (so billing has invoiced them): two mornings a weekday for the first two
 * doctors. History cannot be booked through the domain (a booking in the past is refused), so each visit
 * goes in through the store with its `appointment.booked` event, as the domain writes it, and is then
 * completed through the domain, which emits `appointment.completed` like a clinician's click.
 */
async function loadDemoHistory(
  appointment: AppointmentService,
  doctorIds: string[],
  patientIds: string[],
): Promise<string[]> {
  const next = random(20261124);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const completed: string[] = [];
  for (let daysAgo = 7; daysAgo >= 1; daysAgo--) {
    const day = new Date(Date.now() - daysAgo * 86_400_000);
    if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue;
    for (const doctorId of doctorIds.slice(0, 2)) {
      // 08:00 and 09:00 UTC: inside both doctors' Berlin hours in summer and in winter.
      for (const hour of [8, 9]) {
        const start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour));
        const visit = {
          id: randomUUID(),
          // The demo PATIENT user is the first demo patient: their first visit is among these.
          patientId: completed.length === 0 ? (patientIds[0] as string) : pick(patientIds),
          doctorId,
          start,
          end: new Date(start.getTime() + 30 * 60_000),
          status: 'BOOKED' as const,
          reason: 'check-up',
          cancellationReason: null,
          version: 1,
          createdAt: start,
          updatedAt: start,
        };
        const snapshot = {
          ...visit,
          start: visit.start.toISOString(),
          end: visit.end.toISOString(),
          createdAt: start.toISOString(),
          updatedAt: start.toISOString(),
        };
        await appointment.store.insert(visit, () => [
          outgoing(appointmentBooked, {
            source: 'urn:hsg:subgraph:appointment',
            subject: visit.id,
            data: { appointment: snapshot },
          }),
        ]);
        await appointment.domain.complete(visit.id);
        completed.push(visit.id);
      }
    }
  }
  return completed;
}

/**
 * Pays some of the invoices billing issued for last week's visits (it hears of them from the events):
 * every third in full by card, every third half in cash, the rest left open.
 */
async function loadDemoPayments(billing: BillingService, visitIds: string[]): Promise<number> {
  let invoices: Awaited<ReturnType<BillingService['domain']['invoicesByAppointments']>> = [];
  await waitUntil(
    'billing to invoice the demo visits',
    async () => {
      invoices = await billing.domain.invoicesByAppointments(visitIds);
      return invoices.length >= visitIds.length;
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
  let paid = 0;
  for (const [index, invoice] of invoices.entries()) {
    if (index % 3 === 2) continue;
    const full = index % 3 === 0;
    await billing.domain.pay({
      invoiceId: invoice.id,
      amount: {
        amount: full ? invoice.total.amount : Math.floor(invoice.total.amount / 2),
        currency: invoice.total.currency,
      },
      method: full ? 'CARD' : 'CASH',
      idempotencyKey: `demo-payment-${invoice.number}`,
    });
    paid++;
  }
  return paid;
}

const loinc = 'http://loinc.org';
/** A small basic panel: LOINC code, name, unit, normal range; `high` is the value flagged H. */
const demoTests = [
  { code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma', unit: 'mg/dL', low: 70, high: 99 },
  { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', unit: 'g/dL', low: 12, high: 17.5 },
  {
    code: '2823-3',
    display: 'Potassium [Moles/volume] in Serum or Plasma',
    unit: 'mmol/L',
    low: 3.5,
    high: 5.1,
  },
];

/**
 * Lab results as the lab would send them (one batch per patient, through the domain, so events flow):
 * the first 12 demo patients get the panel, every third value high (H), the fifth patient's potassium
 * critical (HH), and the first patient's glucose corrected by a second batch.
 */
async function loadDemoResults(observation: ObservationService, patientIds: string[]): Promise<number> {
  const next = random(20261125);
  let results = 0;
  for (const [index, patientId] of patientIds.slice(0, 12).entries()) {
    const source = {
      sendingFacility: 'DEMO-LAB',
      messageId: `DEMO-${String(index + 1).padStart(4, '0')}`,
      placerOrder: `ORD-${String(index + 1).padStart(4, '0')}`,
      fillerOrder: null,
    };
    const batch = demoTests.map((test, position) => {
      const flag = index === 4 && position === 2 ? 'HH' : (index + position) % 3 === 0 ? 'H' : 'N';
      const normal = test.low + next() * (test.high - test.low);
      const value = flag === 'HH' ? 7.2 : flag === 'H' ? test.high * 1.2 : normal;
      return {
        code: { system: loinc, code: test.code, display: test.display },
        status: 'FINAL' as const,
        category: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'laboratory',
            display: 'Laboratory',
          },
        ],
        effective: new Date(Date.now() - (index + 1) * 3_600_000),
        valueQuantity: {
          value: Math.round(value * 10) / 10,
          unit: test.unit,
          system: 'http://unitsofmeasure.org',
          code: test.unit,
        },
        interpretation: [flag],
        referenceRange: [
          { low: { value: test.low, unit: test.unit }, high: { value: test.high, unit: test.unit } },
        ],
      };
    });
    await waitForPatient(() => observation.domain.record({ patientId, source, results: batch }));
    results += batch.length;
    if (index === 0) {
      // The lab corrects the first glucose: same order and code, status CORRECTED.
      const [glucose] = batch;
      if (glucose)
        await observation.domain.record({
          patientId,
          source: { ...source, messageId: 'DEMO-0001-C' },
          results: [
            {
              ...glucose,
              status: 'CORRECTED',
              valueQuantity: { ...glucose.valueQuantity, value: 88 },
              interpretation: ['N'],
              note: 'Corrected: sample re-run',
            },
          ],
        });
    }
  }
  return results;
}

/** Retries while the observation subgraph's projection has not heard of the patient yet (UNAVAILABLE). */
async function waitForPatient<T>(record: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await record();
    } catch (error) {
      const code = error instanceof AppError ? error.code : undefined;
      if (code !== 'UNAVAILABLE' || attempt === 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function bookPatiently(
  appointment: AppointmentService,
  input: Parameters<AppointmentService['domain']['book']>[0],
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await appointment.domain.book(input);
      return true;
    } catch (error) {
      const code = error instanceof AppError ? error.code : undefined;
      if (code === 'CONFLICT') return false;
      if (code !== 'UNAVAILABLE' || attempt === 20) throw error;
    }
  }
}

/**
 * The demo users' one password. Synthetic, published here and printed by `npm start`: the demo clinic is
 * for a developer's machine, never for real patients.
 */
export const demoPassword = 'demo-password-2026';

/** One demo user per role; the CLINICIAN is a demo doctor, the PATIENT a demo patient. */
export const demoUserRoles: ReadonlyArray<{ username: string; role: Role }> = [
  { username: 'admin', role: 'ADMIN' },
  { username: 'frontdesk', role: 'FRONT_DESK' },
  { username: 'clinician', role: 'CLINICIAN' },
  { username: 'billing', role: 'BILLING' },
  { username: 'patient', role: 'PATIENT' },
  { username: 'integration', role: 'INTEGRATION' },
];

/** A demo login, as `npm start` prints it. */
export interface DemoUser {
  username: string;
  password: string;
  role: Role;
  userId: string;
  /** PATIENT: the demo patient this user is. */
  patientId: string | null;
  /** CLINICIAN: the demo doctor this user is. */
  doctorId: string | null;
}

/**
 * Creates the demo users that are missing (idempotent: a restart finds them), through identity's trusted
 * user operations. Links the CLINICIAN to `links.doctorId` and the PATIENT to `links.patientId`, or, on
 * data loaded before identity existed, to the first active doctor and the first patient.
 */
export async function loadDemoUsers(
  services: { identity: IdentityService; patient: PatientService; doctor: DoctorService },
  links: { patientId?: string | undefined; doctorId?: string | undefined } = {},
): Promise<DemoUser[]> {
  const users: DemoUser[] = [];
  for (const { username, role } of demoUserRoles) {
    let user = await services.identity.users.byUsername(username);
    if (!user) {
      const patientId =
        role === 'PATIENT'
          ? (links.patientId ??
            (await services.patient.domain.search({}, 1, undefined)).patients[0]?.patient.id)
          : undefined;
      const doctorId =
        role === 'CLINICIAN'
          ? (links.doctorId ??
            (await services.doctor.domain.search({ active: true }, 1, undefined)).doctors[0]?.doctor.id)
          : undefined;
      if ((role === 'PATIENT' && !patientId) || (role === 'CLINICIAN' && !doctorId)) continue;
      user = await services.identity.users.create(
        { username, password: demoPassword, role, patientId, doctorId },
        'demo-data',
      );
    }
    users.push({
      username: user.username,
      password: demoPassword,
      role: user.role,
      userId: user.id,
      patientId: user.patientId,
      doctorId: user.doctorId,
    });
  }
  return users;
}

export interface DemoData {
  /** What was loaded this time; undefined when the clinic was there already (a restart). */
  clinic:
    | {
        patients: number;
        doctors: number;
        appointments: number;
        completedVisits: number;
        payments: number;
        labResults: number;
      }
    | undefined;
  /** The demo logins, on every start (created once, found afterwards). */
  users: DemoUser[];
}

/** The demo clinic, loaded once (only into a system without patients), and its demo users. */
export async function loadDemoData(services: {
  identity: IdentityService;
  patient: PatientService;
  doctor: DoctorService;
  appointment: AppointmentService;
  billing: BillingService;
  observation: ObservationService;
}): Promise<DemoData> {
  const existing = await services.patient.domain.search({}, 1, undefined);
  if ((await existing.totalCount()) > 0) return { clinic: undefined, users: await loadDemoUsers(services) };
  const patientIds = await loadDemoPatients(services.patient);
  const doctorIds = await loadDemoDoctors(services.doctor);
  const appointments = await loadDemoAppointments(services.appointment, doctorIds, patientIds);
  const visits = await loadDemoHistory(services.appointment, doctorIds, patientIds);
  const payments = await loadDemoPayments(services.billing, visits);
  const labResults = await loadDemoResults(services.observation, patientIds);
  const users = await loadDemoUsers(services, { patientId: patientIds[0], doctorId: doctorIds[0] });
  return {
    clinic: {
      patients: patientIds.length,
      doctors: doctorIds.length,
      appointments,
      completedVisits: visits.length,
      payments,
      labResults,
    },
    users,
  };
}
