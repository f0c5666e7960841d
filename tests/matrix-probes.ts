import { type Role, roles } from '@hsg/kit/auth';
import { type GraphQLResponse, graphqlPost } from '@hsg/testing';
import { describe, expect, it } from '@jest/globals';
import {
  type Clinic,
  type Doctor,
  type Links,
  linksOf,
  type MatrixSystem,
  type Patient,
  type SubgraphName,
  setUpClinic,
  startMatrixSystem,
  type Visit,
} from './matrix-fixtures.ts';

/**
 * What every access-matrix file shares: its system and clinic, ADR 0016's table, the probes that check
 * it and the describe that runs a file's operations for every role. Each `access-matrix.<part>.e2e.test.ts`
 * is one subgraph's part of the matrix (or the fields across them): its operations and its own door
 * (`matrix-doors.ts`).
 */

/**
 * The file's system and clinic, set by `startMatrix` in its beforeAll. Jest gives every test file its
 * own copy of this module, so each file starts and stops a system of its own.
 */
export let system: MatrixSystem;
export let clinic: Clinic;

/** Starts the system and sets the clinic up: each file's `beforeAll(startMatrix, 120_000)`. */
export async function startMatrix(): Promise<void> {
  system = await startMatrixSystem();
  clinic = await setUpClinic(system);
}

/** Each file's `afterAll(stopMatrix, 60_000)`; a system whose clinic failed to set up is stopped too. */
export async function stopMatrix(): Promise<void> {
  await system?.stop();
}

// ---------------------------------------------------------------------------------------------------------
// The table, as ADR 0016 writes it (✓ allowed, own = the principal's rows, – FORBIDDEN).

export type Cell = '✓' | 'own' | '–' | 'id, mrn, active';
const row = (...cells: Cell[]) =>
  Object.fromEntries(roles.map((role, index) => [role, cells[index]])) as Record<Role, Cell>;

export const adr = {
  //                        ADMIN FRONT_DESK CLINICIAN BILLING PATIENT INTEGRATION
  readPatients: row('–', '✓', 'own', '–', 'own', '–'), // patient, patients
  patientByMrn: row('–', '✓', 'own', '–', 'own', 'id, mrn, active'),
  writePatients: row('–', '✓', '–', '–', '–', '–'), // registerPatient, deactivatePatient
  updatePatient: row('–', '✓', '–', '–', 'own', '–'),
  readDoctors: row('✓', '✓', '✓', '✓', '✓', '–'), // doctor, doctors
  writeDoctors: row('–', '✓', '–', '–', '–', '–'), // registerDoctor, updateDoctor, deactivateDoctor
  readAppointments: row('–', '✓', 'own', '–', 'own', '–'), // appointment(s), Patient/Doctor.appointments
  availableSlots: row('–', '✓', '✓', '–', '✓', '–'),
  changeAppointments: row('–', '✓', '–', '–', 'own', '–'), // book, reschedule, cancel
  completeAppointment: row('–', '–', 'own', '–', '–', '–'),
  identity: row('✓', '–', '–', '–', '–', '–'), // users, signing keys
  // invoice(ByNumber), invoices, Patient.billingAccount/invoices, Appointment.invoice: status and amounts
  readInvoices: row('–', '✓', '–', '✓', 'own', '–'),
  invoiceDetails: row('–', '–', '–', '✓', 'own', '–'), // lines, payments, voidReason, pdfUrl, PDF, …
  payInvoice: row('–', '✓', '–', '✓', 'own', '–'),
  voidInvoice: row('–', '–', '–', '✓', '–', '–'),
  // observation(id), observations, Patient.observations/latestResults (INTEGRATION: see recordLabResults)
  readObservations: row('–', '–', 'own', '–', 'own', '–'),
  recordLabResults: row('–', '–', '–', '–', '–', '✓'), // its answer: duplicate, id, status, version
  correctObservations: row('–', '–', 'own', '–', '–', '✓'), // correctObservation, markObservationEnteredInError
  dashboardCounts: row('✓', '–', '✓', '–', '–', '–'), // dashboard's counts, perDay, byDoctor, byTestCode
  dashboardRevenue: row('✓', '–', '–', '✓', '–', '–'), // revenueInvoiced, revenuePaid
  doctorStats: row('✓', '–', 'own', '–', '–', '–'), // Doctor.stats
};

/** A field returning another subgraph's entity needs both rules: the parent's and the entity's. */
export const both = (first: Record<Role, Cell>, second: Record<Role, Cell>) =>
  Object.fromEntries(
    roles.map((role) => {
      const cells = [first[role], second[role]];
      return [role, cells.includes('–') ? '–' : cells.includes('own') ? 'own' : '✓'];
    }),
  ) as Record<Role, Cell>;

/** Whether a cell lets the role at a record: `own` says whether the record is the role's own. */
export const allows = (cell: Cell, own: boolean) => cell === '✓' || (cell === 'own' && own);
/** Whether a cell lets the role see the record at all (an integration sees id, mrn and active). */
export const reaches = (cell: Cell, own: boolean) => allows(cell, own) || cell === 'id, mrn, active';

// ---------------------------------------------------------------------------------------------------------
// Probes: one request each, with the whole answer it must get.

export interface Answer {
  data: unknown;
  /** `CODE at path.to.field`, sorted. */
  errors: string[];
}

export const answer = (data: unknown, ...errors: string[]): Answer => ({ data, errors: errors.sort() });
export const forbidden = (path: string) => `FORBIDDEN at ${path}`;

export const answerOf = (response: GraphQLResponse): Answer => ({
  data: response.data ?? null,
  errors: (response.errors ?? [])
    .map((error) => {
      const path = (error.path ?? []).join('.');
      return path === '' ? `${error.extensions?.code}` : `${error.extensions?.code} at ${path}`;
    })
    .sort(),
});

export interface Probe {
  what: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Straight to this subgraph (how the router resolves a reference); else through the router. */
  via?: SubgraphName;
  /** Another user of the same role (a PATIENT linked to a fresh record). */
  links?: Links;
  expected: Answer;
  /** More about an allowed answer than equality says (or what an allowed mutation changed). */
  check?(response: GraphQLResponse): void | Promise<void>;
  /** After a refused mutation: it changed nothing. */
  unchanged?(): Promise<void>;
}

export interface Operation {
  name: string;
  cells: Record<Role, Cell>;
  /** What the role's requests must answer (fresh targets for a mutation, made here). */
  probes(role: Role): Promise<Probe[]>;
}

type Caller = Role | 'no token';
const callers: Caller[] = [...roles, 'no token'];

export async function send(caller: Caller, probe: Pick<Probe, 'via' | 'links' | 'query' | 'variables'>) {
  const url = probe.via ? system.subgraphUrls[probe.via] : system.routerUrl;
  const headers =
    caller === 'no token' ? {} : await system.as(caller, probe.links ?? linksOf(caller, clinic));
  return graphqlPost(url, probe.query, probe.variables, headers);
}

async function run(caller: Caller, probe: Probe): Promise<void> {
  const { status, body } = await send(caller, probe);
  const what = `${probe.what} as ${caller}`;
  expect({ what, ...answerOf(body) }).toEqual({ what, ...probe.expected });
  if (probe.expected.errors.length === 0) {
    expect({ what, status }).toEqual({ what, status: 200 });
    await probe.check?.(body);
  } else await probe.unchanged?.();
}

export const unique = (prefix: string) => clinic.unique(prefix);

/** A front desk's view of a record, to tell that a refused mutation changed nothing. */
export async function frontDeskSees(query: string, variables: Record<string, unknown>, expected: unknown) {
  const response = await clinic.frontDesk(query, variables);
  expect(answerOf(response)).toEqual(answer(expected));
}

export const page = (visits: Visit[]) => ({
  totalCount: visits.length,
  edges: visits.map((visit) => ({ node: { id: visit.id } })),
});

/** The visits a role sees when a list of them is narrowed to its own (ADR 0016's `own`). */
export const ownTo = (role: Role) => (visit: Visit) =>
  role === 'FRONT_DESK' ||
  (role === 'PATIENT' && visit.patientId === clinic.A.id) ||
  (role === 'CLINICIAN' && visit.doctorId === clinic.X.id);

/** A and B; X and Y; A–X and B–Y: the first is the PATIENT's and the CLINICIAN's own, the second not. */
export const patients = () => [
  { patient: clinic.A, own: true },
  { patient: clinic.B, own: false },
];
export const doctors = () => [
  { doctor: clinic.X, own: true },
  { doctor: clinic.Y, own: false },
];
export const ownAndOther = [true, false];
export const fixtureVisits = () => [
  { visit: clinic.AX, own: true },
  { visit: clinic.BY, own: false },
];
/** The visits in `clinic.window` a filter lets through, in the order lists give them (start, then id). */
export const visitsOf = (where: (visit: Visit) => boolean) =>
  [clinic.AX, clinic.BY, clinic.AY]
    .filter(where)
    .sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));

export const patientData = (patient: Patient) => ({
  id: patient.id,
  mrn: patient.mrn,
  name: { text: patient.name },
});
export const doctorData = (doctor: Doctor) => ({ id: doctor.id, name: { text: doctor.name } });

/** A fresh visit for a mutation case: A–X (the PATIENT's, the CLINICIAN's) or B–Y (neither's). */
export const freshVisit = (own: boolean) =>
  own ? clinic.book(clinic.A, clinic.X, clinic.slot()) : clinic.book(clinic.B, clinic.Y, clinic.slot());

/** A PATIENT gets a fresh record of its own (and a user linked to it) and someone else's; others one. */
export async function freshPatients(
  role: Role,
): Promise<Array<{ patient: Patient; own: boolean; links?: Links }>> {
  if (role !== 'PATIENT') return [{ patient: await clinic.registerPatient('Fresh'), own: false }];
  const [own, other] = await Promise.all([clinic.registerPatient('Own'), clinic.registerPatient('Other')]);
  return [
    { patient: own, own: true, links: { patientId: own.id } },
    { patient: other, own: false, links: { patientId: own.id } },
  ];
}

export const unchangedVisit = (visit: Visit) => () =>
  frontDeskSees(
    'query ($id: ID!) { appointment(id: $id) { start status version } }',
    { id: visit.id },
    {
      appointment: { start: visit.start, status: 'BOOKED', version: 1 },
    },
  );
export const nothingBookedAt = (start: string) => () =>
  frontDeskSees(
    'query ($filter: AppointmentFilter) { appointments(filter: $filter) { totalCount } }',
    { filter: { from: start, to: new Date(Date.parse(start) + 60_000).toISOString() } },
    { appointments: { totalCount: 0 } },
  );

export const APPOINTMENTS = 'totalCount edges { node { id } }';

// ---------------------------------------------------------------------------------------------------------
// The file's operations, every one for every role and without a token.

export function describeOperations(operations: Operation[]): void {
  describe('ADR 0016 through the router: every operation × every role', () => {
    const cases = operations.flatMap((operation) =>
      callers.map((caller) => {
        const cell = caller === 'no token' ? 'UNAUTHENTICATED' : operation.cells[caller];
        return [operation.name, caller, cell, operation] as const;
      }),
    );

    it.each(cases)('%s as %s: %s', async (_name, caller, _cell, operation) => {
      if (caller !== 'no token') {
        await Promise.all((await operation.probes(caller)).map((probe) => run(caller, probe)));
        return;
      }
      // Without a token the router refuses before planning: 401, no data, nothing done.
      for (const probe of await operation.probes('FRONT_DESK')) {
        if (probe.via) continue; // the subgraphs' own doors: `describeDoors`
        const { status, body } = await send('no token', probe);
        expect({ what: probe.what, status, ...answerOf(body) }).toEqual({
          what: probe.what,
          status: 401,
          ...answer(null, 'UNAUTHENTICATED'),
        });
        await probe.unchanged?.();
      }
    });
  });
}
