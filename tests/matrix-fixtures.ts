import { createPrivateKey, generateKeyPairSync, type JsonWebKey, randomUUID, sign } from 'node:crypto';
import { silentLogger } from '@hsg/kit';
import { type AccessTokenClaims, type Role, tokenAudience, tokenIssuer } from '@hsg/kit/auth';
import { anyPorts, startEmbedded } from '@hsg/launcher';
import {
  arrivedTooLate,
  dataOf,
  type GraphQLResponse,
  graphqlRequest,
  retryUnavailable,
  sessions,
  testAdmin,
  uniqueName,
  waitFor,
} from '@hsg/testing';
import { DateTime } from 'luxon';

/**
 * The access matrix's system and clinic. The system is embedded mode exactly as `embeddedSystem()` starts
 * it, plus what a test of the subgraphs' own doors needs: each subgraph's URL and the key identity signs
 * with. The clinic is what ADR 0016's table is checked on: patients A and B, doctors X and Y, visits
 * A–X, B–Y and A–Y, set up through the router by a front desk.
 */

export type SubgraphName =
  | 'identity'
  | 'patient'
  | 'doctor'
  | 'appointment'
  | 'billing'
  | 'observation'
  | 'analytics';

/** What `embeddedSystem()` gives a test (router URL, users, stop), and the subgraphs' doors. */
export interface MatrixSystem {
  routerUrl: string;
  /** Authorization headers of a user with that role (created by the test's ADMIN on first use). */
  as: ReturnType<typeof sessions>;
  stop(): Promise<void>;
  /** Each subgraph's own GraphQL URL (behind the router, and reachable straight). */
  subgraphUrls: Record<SubgraphName, string>;
  /** The key identity signs access tokens with now, private half included (to sign an expired token). */
  activeSigningKey(): Promise<SigningKey>;
}

export interface SigningKey {
  kid: string;
  privateJwk: JsonWebKey;
}

/** `npm start`'s mode, in this process, in memory, on free ports (the options of `embeddedSystem()`). */
export async function startMatrixSystem(): Promise<MatrixSystem> {
  const system = await startEmbedded({
    ports: anyPorts(),
    demoData: false,
    logger: silentLogger(),
    admin: testAdmin,
  });
  const { identity, patient, doctor, appointment, billing, observation, analytics } = system.subgraphs;
  return {
    routerUrl: system.routerUrl,
    as: sessions(system.routerUrl),
    subgraphUrls: {
      identity: identity.url,
      patient: patient.url,
      doctor: doctor.url,
      appointment: appointment.url,
      billing: billing.url,
      observation: observation.url,
      analytics: analytics.url,
    },
    async activeSigningKey() {
      const key = await identity.store.activeKey();
      if (!key?.privateJwk) throw new Error('identity has no active signing key');
      return { kid: key.kid, privateJwk: key.privateJwk as JsonWebKey };
    },
    stop: system.stop,
  };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * An ES256 access token shaped as identity signs one (header, issuer, audience, claims), with any key and
 * times: to forge one with a key of our own, or to have identity's own key sign one that has expired.
 */
export function signAccessToken(
  key: SigningKey,
  claims: AccessTokenClaims,
  { issuedAt, expiresAt, subject }: { issuedAt: number; expiresAt: number; subject?: string },
): string {
  const header = base64url({ alg: 'ES256', kid: key.kid });
  const payload = base64url({
    ...claims,
    iss: tokenIssuer,
    aud: tokenAudience,
    sub: subject ?? randomUUID(),
    iat: issuedAt,
    exp: expiresAt,
    jti: randomUUID(),
  });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
    key: createPrivateKey({ key: key.privateJwk, format: 'jwk' }),
    dsaEncoding: 'ieee-p1363',
  });
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

/** The same claims under `alg: none`, with a signature of one zero byte (a verifier must insist on ES256). */
export function unsignedToken(
  kid: string,
  claims: AccessTokenClaims,
  { issuedAt, expiresAt }: { issuedAt: number; expiresAt: number },
): string {
  const header = base64url({ alg: 'none', kid });
  const payload = base64url({
    ...claims,
    iss: tokenIssuer,
    aud: tokenAudience,
    sub: randomUUID(),
    iat: issuedAt,
    exp: expiresAt,
  });
  return `${header}.${payload}.AA`;
}

/** A P-256 private key of our own (not the system's), as a JWK. */
export function strangerJwk(): JsonWebKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'jwk' });
}

/** The token with its payload's claims changed and the signature kept (a forgery a verifier must catch). */
export function tamperedToken(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const changed = { ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), ...claims };
  return `${header}.${base64url(changed)}.${signature}`;
}

export interface Patient {
  label: string;
  id: string;
  mrn: string;
  /** Its name.text. */
  name: string;
  email: string;
}

export interface Doctor {
  label: string;
  id: string;
  /** Its name.text. */
  name: string;
}

export interface Visit {
  label: string;
  id: string;
  patientId: string;
  doctorId: string;
  start: string;
}

/** Whom a PATIENT and a CLINICIAN user is linked to. */
export interface Links {
  patientId?: string;
  doctorId?: string;
}

export interface Clinic {
  /** This run's own: A, B, X and Y's family name, which the lists are filtered by. */
  family: string;
  /** Every other record's family name. */
  otherFamily: string;
  /** The doctors' zone: one where it is not near midnight now. */
  zone: string;
  /** A–X and B–Y's local day, a week ahead; `window` is [day, day + 1) as instants. */
  day: DateTime;
  window: { from: string; to: string };
  /** `hour:minute` on `day`, as the DateTime scalar writes it. */
  at(hour: number, minute?: number): string;
  A: Patient;
  B: Patient;
  X: Doctor;
  Y: Doctor;
  /** A–X and B–Y at 09:00 on `day`, A–Y at 11:00. */
  AX: Visit;
  BY: Visit;
  AY: Visit;
  /** X's visit with another patient (C) that has started a second or two after set-up: to complete. */
  started: Visit;
  /** A 30-minute start on a day after `day`, another on every call, so no two bookings overlap. */
  slot(): string;
  /** The tag every generated name or number of this run carries. */
  unique(prefix: string): string;
  /** A GraphQL call through the router as the front desk. */
  frontDesk(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
  patientInput(given: string, family?: string): Record<string, unknown>;
  doctorInput(given: string, family?: string): Record<string, unknown>;
  registerPatient(given: string, family?: string): Promise<Patient>;
  registerDoctor(given: string, family?: string): Promise<Doctor>;
  /** Books as the front desk, waiting out the appointment subgraph's projection lag. */
  book(patient: Patient, doctor: Doctor, start: string, durationMinutes?: number): Promise<Visit>;
}

const BOOK = 'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id start } }';

/**
 * Sets the clinic up through the router as a front desk, logs in a user of every role (the CLINICIAN
 * linked to X, the PATIENT to A), and waits until the patient subgraph has learnt from the booking
 * events that A is X's patient.
 */
export async function setUpClinic(system: MatrixSystem): Promise<Clinic> {
  const tag = uniqueName('').slice(-8);
  const family = `Matrix${tag}`;
  const otherFamily = `Fresh${tag}`;
  const utcHour = DateTime.utc().hour;
  const zone = utcHour >= 1 && utcHour < 22 ? 'UTC' : 'Asia/Tokyo';
  const day = DateTime.now().setZone(zone).plus({ weeks: 1 }).startOf('day');
  const iso = (date: DateTime) => date.toJSDate().toISOString();
  const at = (hour: number, minute = 0) => iso(day.set({ hour, minute }));
  const window = { from: iso(day), to: iso(day.plus({ days: 1 })) };
  let slots = 0;
  const slot = () => {
    const index = slots++; // 24 half hours a day from 08:00, on the days after `day`
    const date = day.plus({ days: 1 + Math.floor(index / 24) });
    return iso(date.set({ hour: 8 + Math.floor((index % 24) / 2), minute: (index % 2) * 30 }));
  };
  let serial = 0;
  const unique = (prefix: string) => `${prefix}${serial++}N${tag}`.toUpperCase();

  const frontDesk = async (query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, await system.as('FRONT_DESK'));
  const patientInput = (given: string, familyName = otherFamily) => ({
    name: { given: [given], family: familyName },
    birthDate: '1985-06-15',
    gender: 'UNKNOWN',
    email: `${given.toLowerCase()}.${serial++}.${tag}@example.test`,
  });
  const doctorInput = (given: string, familyName = otherFamily) => ({
    name: { given: [given], family: familyName },
    licenseNumber: unique('LIC-'),
    specialties: ['General practice'],
    timeZone: zone,
    workingHours: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].map((weekday) => ({
      weekday,
      start: '00:00',
      end: '24:00',
    })),
    consultationFee: { amount: 7000, currency: 'EUR' },
  });
  const registerPatient = async (given: string, familyName = otherFamily): Promise<Patient> => {
    const input = patientInput(given, familyName);
    const response = await frontDesk(
      'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id mrn name { text } } }',
      { input },
    );
    const patient = dataOf<{ id: string; mrn: string; name: { text: string } }>(response, 'registerPatient');
    return { label: given, id: patient.id, mrn: patient.mrn, name: patient.name.text, email: input.email };
  };
  const registerDoctor = async (given: string, familyName = otherFamily): Promise<Doctor> => {
    const response = await frontDesk(
      'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id name { text } } }',
      { input: doctorInput(given, familyName) },
    );
    const doctor = dataOf<{ id: string; name: { text: string } }>(response, 'registerDoctor');
    return { label: given, id: doctor.id, name: doctor.name.text };
  };
  const bookAt = async (patient: Patient, doctor: Doctor, start: () => string, durationMinutes: number) => {
    const input = () => ({ patientId: patient.id, doctorId: doctor.id, start: start(), durationMinutes });
    // A patient or doctor registered a moment ago is UNAVAILABLE until the appointment subgraph has them.
    // A start "a moment ahead" can pass while a busy machine delivers the request: a fresh one then.
    const response = await retryUnavailable(() => frontDesk(BOOK, { input: input() }), {
      attempts: 150,
      delayMs: 100,
      also: arrivedTooLate,
    });
    const booked = dataOf<{ id: string; start: string }>(response, 'bookAppointment');
    return {
      label: `${patient.label}–${doctor.label}`,
      id: booked.id,
      patientId: patient.id,
      doctorId: doctor.id,
      start: booked.start,
    };
  };
  const book = (patient: Patient, doctor: Doctor, start: string, durationMinutes = 30) =>
    bookAt(patient, doctor, () => start, durationMinutes);

  const C = await registerPatient('C');
  const A = { ...(await registerPatient('Ann', family)), label: 'A' };
  const B = { ...(await registerPatient('Ben', family)), label: 'B' };
  const X = { ...(await registerDoctor('Xena', family)), label: 'X' };
  const Y = { ...(await registerDoctor('Yuri', family)), label: 'Y' };
  const AX = await book(A, X, at(9));
  const BY = await book(B, Y, at(9));
  const AY = await book(A, Y, at(11));

  // The users of ADR 0016's columns, created by the test's ADMIN.
  await Promise.all([
    system.as('ADMIN'),
    system.as('FRONT_DESK'),
    system.as('CLINICIAN', { doctorId: X.id }),
    system.as('BILLING'),
    system.as('PATIENT', { patientId: A.id }),
    system.as('INTEGRATION'),
  ]);

  // X's patients are those with a booking with X: the patient subgraph learns them from the events.
  const clinician = await system.as('CLINICIAN', { doctorId: X.id });
  await waitFor(async () => {
    const response = await graphqlRequest(
      system.routerUrl,
      'query ($id: ID!) { patient(id: $id) { id } }',
      { id: A.id },
      clinician,
    );
    return response.data?.patient != null;
  }, 30_000);

  // Booked last, a moment ahead (a booking may not start in the past), so it has begun when it is completed.
  const started = await bookAt(C, X, () => new Date(Date.now() + 1_500).toISOString(), 5);

  return {
    family,
    otherFamily,
    zone,
    day,
    window,
    at,
    A,
    B,
    X,
    Y,
    AX,
    BY,
    AY,
    started,
    slot,
    unique,
    frontDesk,
    patientInput,
    doctorInput,
    registerPatient,
    registerDoctor,
    book,
  };
}

/** The links of ADR 0016's column `role` in the clinic: the CLINICIAN is X, the PATIENT is A. */
export function linksOf(role: Role, clinic: Pick<Clinic, 'A' | 'X'>): Links {
  if (role === 'CLINICIAN') return { doctorId: clinic.X.id };
  if (role === 'PATIENT') return { patientId: clinic.A.id };
  return {};
}

/** An invoice billing issued for a completed visit, as billing staff see it. */
export interface Invoice {
  label: string;
  id: string;
  number: string;
  patientId: string;
  visit: Visit;
  account: { id: string; accountNumber: string };
  issuedAt: string;
  dueDate: string;
}

/** Completes visits that have begun (or wait until they have), each as the CLINICIAN of its doctor. */
export async function completeVisits(system: MatrixSystem, visits: Visit[]): Promise<void> {
  const latest = Math.max(...visits.map((visit) => Date.parse(visit.start)));
  await waitFor(() => Date.now() > latest + 100, 10_000);
  await Promise.all(
    visits.map(async (visit) => {
      const response = await graphqlRequest(
        system.routerUrl,
        'mutation ($id: ID!) { completeAppointment(id: $id) { id } }',
        { id: visit.id },
        await system.as('CLINICIAN', { doctorId: visit.doctorId }),
      );
      dataOf(response, 'completeAppointment');
    }),
  );
}

const INVOICED = `{ invoices(first: 100) { edges { node {
  id number issuedAt dueDate patient { id } appointment { id } account { id accountNumber } } } } }`;

interface InvoicedNode extends Omit<Invoice, 'label' | 'visit' | 'patientId'> {
  patient: { id: string };
  appointment: { id: string } | null;
}

/**
 * Visits of these pairs a moment ahead (a booking may not start in the past), five minutes long, booked
 * at once: so no two pairs may share a patient or a doctor (overlaps are refused).
 */
export function bookSoon(clinic: Clinic, pairs: Array<[Patient, Doctor]>): Promise<Visit[]> {
  return Promise.all(
    pairs.map(async ([patient, doctor]): Promise<Visit> => {
      // A party registered a moment ago is UNAVAILABLE until appointment has it: a fresh start each try.
      const response = await retryUnavailable(
        () =>
          clinic.frontDesk(BOOK, {
            input: {
              patientId: patient.id,
              doctorId: doctor.id,
              start: new Date(Date.now() + 1_500).toISOString(),
              durationMinutes: 5,
            },
          }),
        { attempts: 150, delayMs: 100, also: arrivedTooLate },
      );
      const booked = dataOf<{ id: string; start: string }>(response, 'bookAppointment');
      const label = `${patient.label}–${doctor.label}`;
      return { label, id: booked.id, patientId: patient.id, doctorId: doctor.id, start: booked.start };
    }),
  );
}

/** The invoices billing issues for these completed visits (from the completions' events), once it has. */
export async function invoicesOf(system: MatrixSystem, visits: Visit[]): Promise<Invoice[]> {
  const billing = await system.as('BILLING');
  const found = new Map<string, InvoicedNode>();
  await waitFor(async () => {
    const response = await graphqlRequest(system.routerUrl, INVOICED, {}, billing);
    const page = dataOf<{ edges: Array<{ node: InvoicedNode }> }>(response, 'invoices');
    for (const { node } of page.edges) if (node.appointment) found.set(node.appointment.id, node);
    return visits.every((visit) => found.has(visit.id));
  }, 30_000);
  return visits.map((visit) => {
    const { patient, appointment: _, ...node } = found.get(visit.id) as InvoicedNode;
    return { ...node, label: `${visit.label}’s invoice`, patientId: patient.id, visit };
  });
}
