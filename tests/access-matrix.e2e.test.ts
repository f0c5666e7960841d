import { type Role, roles } from '@hsg/kit/auth';
import {
  createTestKeys,
  dataOf,
  type GraphQLResponse,
  graphqlPost,
  graphqlRequest,
  waitFor,
} from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type Clinic,
  type Doctor,
  type Links,
  linksOf,
  type MatrixSystem,
  type Patient,
  type SubgraphName,
  setUpClinic,
  signAccessToken,
  startMatrixSystem,
  strangerJwk,
  tamperedToken,
  unsignedToken,
  type Visit,
} from './matrix-fixtures.ts';

/**
 * ADR 0016's matrix, end to end on the embedded system: every Query and Mutation field of patient, doctor
 * and appointment and the fields that cross a subgraph boundary, for every role (and without a token),
 * through the router, the allowed and the denied answers both; then patient A looking for patient B by
 * every path; then each subgraph's own door with no token, an expired one and forged ones.
 */

let system: MatrixSystem;
let clinic: Clinic;

beforeAll(async () => {
  system = await startMatrixSystem();
  clinic = await setUpClinic(system);
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

// ---------------------------------------------------------------------------------------------------------
// The table, as ADR 0016 writes it (✓ allowed, own = the principal's rows, – FORBIDDEN).

type Cell = '✓' | 'own' | '–' | 'id, mrn, active';
const row = (...cells: Cell[]) =>
  Object.fromEntries(roles.map((role, index) => [role, cells[index]])) as Record<Role, Cell>;

const adr = {
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
};

/** A field returning another subgraph's entity needs both rules: the parent's and the entity's. */
const both = (first: Record<Role, Cell>, second: Record<Role, Cell>) =>
  Object.fromEntries(
    roles.map((role) => {
      const cells = [first[role], second[role]];
      return [role, cells.includes('–') ? '–' : cells.includes('own') ? 'own' : '✓'];
    }),
  ) as Record<Role, Cell>;

/** Whether a cell lets the role at a record: `own` says whether the record is the role's own. */
const allows = (cell: Cell, own: boolean) => cell === '✓' || (cell === 'own' && own);
/** Whether a cell lets the role see the record at all (an integration sees id, mrn and active). */
const reaches = (cell: Cell, own: boolean) => allows(cell, own) || cell === 'id, mrn, active';

// ---------------------------------------------------------------------------------------------------------
// Probes: one request each, with the whole answer it must get.

interface Answer {
  data: unknown;
  /** `CODE at path.to.field`, sorted. */
  errors: string[];
}

const answer = (data: unknown, ...errors: string[]): Answer => ({ data, errors: errors.sort() });
const forbidden = (path: string) => `FORBIDDEN at ${path}`;

const answerOf = (response: GraphQLResponse): Answer => ({
  data: response.data ?? null,
  errors: (response.errors ?? [])
    .map((error) => {
      const path = (error.path ?? []).join('.');
      return path === '' ? `${error.extensions?.code}` : `${error.extensions?.code} at ${path}`;
    })
    .sort(),
});

interface Probe {
  what: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Straight to this subgraph (how the router resolves a reference); else through the router. */
  via?: SubgraphName;
  /** Another user of the same role (a PATIENT linked to a fresh record). */
  links?: Links;
  expected: Answer;
  /** More about an allowed answer than equality says. */
  check?(response: GraphQLResponse): void;
  /** After a refused mutation: it changed nothing. */
  unchanged?(): Promise<void>;
}

interface Operation {
  name: string;
  cells: Record<Role, Cell>;
  /** What the role's requests must answer (fresh targets for a mutation, made here). */
  probes(role: Role): Promise<Probe[]>;
}

type Caller = Role | 'no token';
const callers: Caller[] = [...roles, 'no token'];

async function send(caller: Caller, probe: Pick<Probe, 'via' | 'links' | 'query' | 'variables'>) {
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
    probe.check?.(body);
  } else await probe.unchanged?.();
}

const unique = (prefix: string) => clinic.unique(prefix);

/** A front desk's view of a record, to tell that a refused mutation changed nothing. */
async function frontDeskSees(query: string, variables: Record<string, unknown>, expected: unknown) {
  const response = await clinic.frontDesk(query, variables);
  expect(answerOf(response)).toEqual(answer(expected));
}

const page = (visits: Visit[]) => ({
  totalCount: visits.length,
  edges: visits.map((visit) => ({ node: { id: visit.id } })),
});

/** The visits a role sees when a list of them is narrowed to its own (ADR 0016's `own`). */
const ownTo = (role: Role) => (visit: Visit) =>
  role === 'FRONT_DESK' ||
  (role === 'PATIENT' && visit.patientId === clinic.A.id) ||
  (role === 'CLINICIAN' && visit.doctorId === clinic.X.id);

/** A and B; X and Y; A–X and B–Y: the first is the PATIENT's and the CLINICIAN's own, the second not. */
const patients = () => [
  { patient: clinic.A, own: true },
  { patient: clinic.B, own: false },
];
const doctors = () => [
  { doctor: clinic.X, own: true },
  { doctor: clinic.Y, own: false },
];
const ownAndOther = [true, false];
const fixtureVisits = () => [
  { visit: clinic.AX, own: true },
  { visit: clinic.BY, own: false },
];
/** The visits in `clinic.window` a filter lets through, in the order lists give them (start, then id). */
const visitsOf = (where: (visit: Visit) => boolean) =>
  [clinic.AX, clinic.BY, clinic.AY]
    .filter(where)
    .sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));

const patientData = (patient: Patient) => ({
  id: patient.id,
  mrn: patient.mrn,
  name: { text: patient.name },
});
const doctorData = (doctor: Doctor) => ({ id: doctor.id, name: { text: doctor.name } });

/** A fresh visit for a mutation case: A–X (the PATIENT's, the CLINICIAN's) or B–Y (neither's). */
const freshVisit = (own: boolean) =>
  own ? clinic.book(clinic.A, clinic.X, clinic.slot()) : clinic.book(clinic.B, clinic.Y, clinic.slot());

/** A PATIENT gets a fresh record of its own (and a user linked to it) and someone else's; others one. */
async function freshPatients(role: Role): Promise<Array<{ patient: Patient; own: boolean; links?: Links }>> {
  if (role !== 'PATIENT') return [{ patient: await clinic.registerPatient('Fresh'), own: false }];
  const [own, other] = await Promise.all([clinic.registerPatient('Own'), clinic.registerPatient('Other')]);
  return [
    { patient: own, own: true, links: { patientId: own.id } },
    { patient: other, own: false, links: { patientId: own.id } },
  ];
}

const unchangedVisit = (visit: Visit) => () =>
  frontDeskSees(
    'query ($id: ID!) { appointment(id: $id) { start status version } }',
    { id: visit.id },
    {
      appointment: { start: visit.start, status: 'BOOKED', version: 1 },
    },
  );
const nothingBookedAt = (start: string) => () =>
  frontDeskSees(
    'query ($filter: AppointmentFilter) { appointments(filter: $filter) { totalCount } }',
    { filter: { from: start, to: new Date(Date.parse(start) + 60_000).toISOString() } },
    { appointments: { totalCount: 0 } },
  );

const APPOINTMENTS = 'totalCount edges { node { id } }';

// ---------------------------------------------------------------------------------------------------------
// Every operation.

const operations: Operation[] = [
  {
    name: 'patient(id)',
    cells: adr.readPatients,
    async probes(role) {
      return patients().map(({ patient, own }) => ({
        what: `patient(${patient.label})`,
        query: 'query ($id: ID!) { __typename patient(id: $id) { id mrn name { text } } }',
        variables: { id: patient.id },
        expected: allows(adr.readPatients[role], own)
          ? answer({ __typename: 'Query', patient: patientData(patient) })
          : answer({ __typename: 'Query', patient: null }, forbidden('patient')),
      }));
    },
  },
  {
    name: 'patientByMrn',
    cells: adr.patientByMrn,
    async probes(role) {
      const cell = adr.patientByMrn[role];
      return patients().map(({ patient, own }) => {
        const lookedUp = { id: patient.id, mrn: patient.mrn, active: true };
        return {
          what: `patientByMrn(${patient.label}'s)`,
          query: `query ($mrn: String!) {
            __typename patientByMrn(mrn: $mrn) { id mrn active email phone address { city } } }`,
          variables: { mrn: patient.mrn },
          expected:
            cell === 'id, mrn, active' // the rest of the patient FORBIDDEN, field by field
              ? answer(
                  {
                    __typename: 'Query',
                    patientByMrn: { ...lookedUp, email: null, phone: null, address: null },
                  },
                  forbidden('patientByMrn.email'),
                  forbidden('patientByMrn.phone'),
                  forbidden('patientByMrn.address'),
                )
              : allows(cell, own)
                ? answer({
                    __typename: 'Query',
                    patientByMrn: { ...lookedUp, email: patient.email, phone: null, address: null },
                  })
                : answer({ __typename: 'Query', patientByMrn: null }, forbidden('patientByMrn')),
        };
      });
    },
  },
  {
    name: 'patients',
    cells: adr.readPatients,
    async probes(role) {
      const cell = adr.readPatients[role];
      const seen = patients().filter(({ own }) => allows(cell, own));
      return [
        {
          what: 'patients(filter: A and B’s family)',
          query:
            'query ($name: String) { patients(filter: { name: $name }) { totalCount edges { node { id } } } }',
          variables: { name: clinic.family },
          expected:
            cell === '–'
              ? answer(null, forbidden('patients')) // a non-null root field refused: no data
              : answer({
                  patients: {
                    totalCount: seen.length,
                    edges: seen.map(({ patient }) => ({ node: { id: patient.id } })),
                  },
                }),
        },
      ];
    },
  },
  {
    name: 'registerPatient',
    cells: adr.writePatients,
    async probes(role) {
      const mrn = unique('MX-');
      const input = { ...clinic.patientInput('Reg'), mrn };
      return [
        {
          what: `registerPatient(mrn ${mrn})`,
          query:
            'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { mrn name { text } active } }',
          variables: { input },
          expected: allows(adr.writePatients[role], false)
            ? answer({ registerPatient: { mrn, name: { text: `Reg ${clinic.otherFamily}` }, active: true } })
            : answer(null, forbidden('registerPatient')),
          unchanged: () =>
            frontDeskSees(
              'query ($mrn: String!) { patientByMrn(mrn: $mrn) { id } }',
              { mrn },
              { patientByMrn: null },
            ),
        },
      ];
    },
  },
  {
    name: 'updatePatient',
    cells: adr.updatePatient,
    async probes(role) {
      return (await freshPatients(role)).map(({ patient, own, links }) => ({
        what: `updatePatient(${own ? 'their own' : 'a fresh'} record)`,
        query: `mutation ($id: ID!) {
          updatePatient(id: $id, expectedVersion: 1, input: { phone: "+44 20 7946 0000" }) { id version phone } }`,
        variables: { id: patient.id },
        ...(links ? { links } : {}),
        expected: allows(adr.updatePatient[role], own)
          ? answer({ updatePatient: { id: patient.id, version: 2, phone: '+44 20 7946 0000' } })
          : answer(null, forbidden('updatePatient')),
        unchanged: () =>
          frontDeskSees(
            'query ($id: ID!) { patient(id: $id) { version phone } }',
            { id: patient.id },
            {
              patient: { version: 1, phone: null },
            },
          ),
      }));
    },
  },
  {
    name: 'deactivatePatient',
    cells: adr.writePatients,
    async probes(role) {
      return (await freshPatients(role)).map(({ patient, own, links }) => ({
        what: `deactivatePatient(${own ? 'their own' : 'a fresh'} record)`,
        query: 'mutation ($id: ID!) { deactivatePatient(id: $id, reason: "matrix") { id active } }',
        variables: { id: patient.id },
        ...(links ? { links } : {}),
        expected: allows(adr.writePatients[role], own)
          ? answer({ deactivatePatient: { id: patient.id, active: false } })
          : answer(null, forbidden('deactivatePatient')),
        unchanged: () =>
          frontDeskSees(
            'query ($id: ID!) { patient(id: $id) { version active } }',
            { id: patient.id },
            {
              patient: { version: 1, active: true },
            },
          ),
      }));
    },
  },
  {
    name: 'doctor(id)',
    cells: adr.readDoctors,
    async probes(role) {
      return doctors().map(({ doctor, own }) => ({
        what: `doctor(${doctor.label})`,
        query: 'query ($id: ID!) { __typename doctor(id: $id) { id name { text } } }',
        variables: { id: doctor.id },
        expected: allows(adr.readDoctors[role], own)
          ? answer({ __typename: 'Query', doctor: doctorData(doctor) })
          : answer({ __typename: 'Query', doctor: null }, forbidden('doctor')),
      }));
    },
  },
  {
    name: 'doctors',
    cells: adr.readDoctors,
    async probes(role) {
      const cell = adr.readDoctors[role];
      const seen = doctors().filter(({ own }) => allows(cell, own));
      return [
        {
          what: 'doctors(filter: X and Y’s family)',
          query:
            'query ($name: String) { doctors(filter: { name: $name }) { totalCount edges { node { id } } } }',
          variables: { name: clinic.family },
          expected:
            cell === '–'
              ? answer(null, forbidden('doctors'))
              : answer({
                  doctors: {
                    totalCount: seen.length,
                    edges: seen.map(({ doctor }) => ({ node: { id: doctor.id } })),
                  },
                }),
        },
      ];
    },
  },
  {
    name: 'registerDoctor',
    cells: adr.writeDoctors,
    async probes(role) {
      const family = unique('Reg').toLowerCase();
      return [
        {
          what: `registerDoctor(family ${family})`,
          query:
            'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { name { family } active version } }',
          variables: { input: clinic.doctorInput('Reg', family) },
          expected: allows(adr.writeDoctors[role], false)
            ? answer({ registerDoctor: { name: { family }, active: true, version: 1 } })
            : answer(null, forbidden('registerDoctor')),
          unchanged: () =>
            frontDeskSees(
              'query ($name: String) { doctors(filter: { name: $name }) { totalCount } }',
              { name: family },
              { doctors: { totalCount: 0 } },
            ),
        },
      ];
    },
  },
  {
    name: 'updateDoctor',
    cells: adr.writeDoctors,
    async probes(role) {
      const doctor = await clinic.registerDoctor('Fresh');
      return [
        {
          what: 'updateDoctor(a fresh doctor)',
          query: `mutation ($id: ID!) {
            updateDoctor(id: $id, expectedVersion: 1, input: { specialties: ["Cardiology"] }) { id version specialties } }`,
          variables: { id: doctor.id },
          expected: allows(adr.writeDoctors[role], false)
            ? answer({ updateDoctor: { id: doctor.id, version: 2, specialties: ['Cardiology'] } })
            : answer(null, forbidden('updateDoctor')),
          unchanged: () =>
            frontDeskSees(
              'query ($id: ID!) { doctor(id: $id) { version specialties } }',
              { id: doctor.id },
              {
                doctor: { version: 1, specialties: ['General practice'] },
              },
            ),
        },
      ];
    },
  },
  {
    name: 'deactivateDoctor',
    cells: adr.writeDoctors,
    async probes(role) {
      const doctor = await clinic.registerDoctor('Fresh');
      return [
        {
          what: 'deactivateDoctor(a fresh doctor)',
          query: 'mutation ($id: ID!) { deactivateDoctor(id: $id, reason: "matrix") { id active version } }',
          variables: { id: doctor.id },
          expected: allows(adr.writeDoctors[role], false)
            ? answer({ deactivateDoctor: { id: doctor.id, active: false, version: 2 } })
            : answer(null, forbidden('deactivateDoctor')),
          unchanged: () =>
            frontDeskSees(
              'query ($id: ID!) { doctor(id: $id) { version active } }',
              { id: doctor.id },
              {
                doctor: { version: 1, active: true },
              },
            ),
        },
      ];
    },
  },
  {
    name: 'appointment(id)',
    cells: adr.readAppointments,
    async probes(role) {
      return fixtureVisits().map(({ visit, own }) => ({
        what: `appointment(${visit.label})`,
        query: 'query ($id: ID!) { __typename appointment(id: $id) { id start status } }',
        variables: { id: visit.id },
        expected: allows(adr.readAppointments[role], own)
          ? answer({
              __typename: 'Query',
              appointment: { id: visit.id, start: visit.start, status: 'BOOKED' },
            })
          : answer({ __typename: 'Query', appointment: null }, forbidden('appointment')),
      }));
    },
  },
  {
    name: 'appointments',
    cells: adr.readAppointments,
    async probes(role) {
      const cell = adr.readAppointments[role];
      return [
        {
          what: 'appointments(on A–X and B–Y’s day)',
          query: `query ($filter: AppointmentFilter) { appointments(filter: $filter) { ${APPOINTMENTS} } }`,
          variables: { filter: clinic.window },
          expected:
            cell === '–'
              ? answer(null, forbidden('appointments'))
              : answer({ appointments: page(visitsOf(ownTo(role))) }),
        },
      ];
    },
  },
  {
    name: 'bookAppointment',
    cells: adr.changeAppointments,
    async probes(role) {
      return [
        { patient: clinic.A, doctor: clinic.X, own: true },
        { patient: clinic.B, doctor: clinic.Y, own: false },
      ].map(({ patient, doctor, own }) => {
        const start = clinic.slot();
        return {
          what: `bookAppointment(${patient.label} with ${doctor.label})`,
          query: `mutation ($input: BookAppointmentInput!) {
            bookAppointment(input: $input) { status start patient { id } doctor { id } } }`,
          variables: { input: { patientId: patient.id, doctorId: doctor.id, start, durationMinutes: 30 } },
          expected: allows(adr.changeAppointments[role], own)
            ? answer({
                bookAppointment: {
                  status: 'BOOKED',
                  start,
                  patient: { id: patient.id },
                  doctor: { id: doctor.id },
                },
              })
            : answer(null, forbidden('bookAppointment')),
          unchanged: nothingBookedAt(start),
        };
      });
    },
  },
  {
    name: 'rescheduleAppointment',
    cells: adr.changeAppointments,
    async probes(role) {
      return Promise.all(
        ownAndOther.map(async (own): Promise<Probe> => {
          const visit = await freshVisit(own);
          const start = clinic.slot();
          return {
            what: `rescheduleAppointment(a fresh ${visit.label})`,
            query: `mutation ($id: ID!, $start: DateTime!) {
            rescheduleAppointment(id: $id, expectedVersion: 1, start: $start, durationMinutes: 30) { id start version } }`,
            variables: { id: visit.id, start },
            expected: allows(adr.changeAppointments[role], own)
              ? answer({ rescheduleAppointment: { id: visit.id, start, version: 2 } })
              : answer(null, forbidden('rescheduleAppointment')),
            unchanged: unchangedVisit(visit),
          };
        }),
      );
    },
  },
  {
    name: 'cancelAppointment',
    cells: adr.changeAppointments,
    async probes(role) {
      return Promise.all(
        ownAndOther.map(async (own): Promise<Probe> => {
          const visit = await freshVisit(own);
          return {
            what: `cancelAppointment(a fresh ${visit.label})`,
            query:
              'mutation ($id: ID!) { cancelAppointment(id: $id, reason: "matrix") { id status version } }',
            variables: { id: visit.id },
            expected: allows(adr.changeAppointments[role], own)
              ? answer({ cancelAppointment: { id: visit.id, status: 'CANCELLED', version: 2 } })
              : answer(null, forbidden('cancelAppointment')),
            unchanged: unchangedVisit(visit),
          };
        }),
      );
    },
  },
  {
    name: 'completeAppointment',
    cells: adr.completeAppointment,
    async probes(role) {
      return Promise.all(
        ownAndOther.map(async (own): Promise<Probe> => {
          const allowed = allows(adr.completeAppointment[role], own);
          // Only one that has begun can be completed: the visit set up to start a moment after set-up.
          const visit = allowed ? clinic.started : await freshVisit(own);
          if (allowed) await waitFor(() => Date.now() > Date.parse(visit.start) + 100, 10_000);
          return {
            what: `completeAppointment(${allowed ? 'a begun' : 'a fresh'} ${visit.label})`,
            query: 'mutation ($id: ID!) { completeAppointment(id: $id) { id status version } }',
            variables: { id: visit.id },
            expected: allowed
              ? answer({ completeAppointment: { id: visit.id, status: 'COMPLETED', version: 2 } })
              : answer(null, forbidden('completeAppointment')),
            unchanged: unchangedVisit(visit),
          };
        }),
      );
    },
  },
  {
    name: 'Patient.appointments',
    cells: adr.readAppointments,
    async probes(role) {
      const cell = adr.readAppointments[role];
      const field = `{ id appointments(filter: $filter) { ${APPOINTMENTS} } }`;
      const pageOf = (patient: Patient) =>
        page(visitsOf((visit) => visit.patientId === patient.id && ownTo(role)(visit)));
      const probes: Probe[] = patients().flatMap(({ patient, own }) => {
        /** Under a parent the role may see: the field's own rule. */
        const under = (parent: string) =>
          cell === '–'
            ? { value: { id: patient.id, appointments: null }, errors: [forbidden(`${parent}.appointments`)] }
            : { value: { id: patient.id, appointments: pageOf(patient) }, errors: [] };
        const byId = under('patient');
        const byMrn = under('patientByMrn');
        return [
          {
            what: `patient(${patient.label}) { appointments }`,
            query: `query ($id: ID!, $filter: AppointmentFilter) { patient(id: $id) ${field} }`,
            variables: { id: patient.id, filter: clinic.window },
            expected: allows(adr.readPatients[role], own)
              ? answer({ patient: byId.value }, ...byId.errors)
              : answer({ patient: null }, forbidden('patient')),
          },
          {
            what: `patientByMrn(${patient.label}'s) { appointments }`,
            query: `query ($mrn: String!, $filter: AppointmentFilter) { patientByMrn(mrn: $mrn) ${field} }`,
            variables: { mrn: patient.mrn, filter: clinic.window },
            expected: reaches(adr.patientByMrn[role], own)
              ? answer({ patientByMrn: byMrn.value }, ...byMrn.errors)
              : answer({ patientByMrn: null }, forbidden('patientByMrn')),
          },
        ];
      });
      // Straight to appointment, as the router asks it for the field of a Patient from anywhere.
      // "A patient may ask for their own only; a clinician sees only those with them" (its SDL).
      const entities = patients().map(({ patient, own }, index) =>
        cell === '–' || (cell === 'own' && role === 'PATIENT' && !own)
          ? {
              value: { id: patient.id, appointments: null },
              error: forbidden(`_entities.${index}.appointments`),
            }
          : { value: { id: patient.id, appointments: pageOf(patient) } },
      );
      probes.push({
        what: 'appointment subgraph: _entities(Patient A, Patient B) { appointments }',
        via: 'appointment',
        query: `query ($r: [_Any!]!, $filter: AppointmentFilter) {
          _entities(representations: $r) { ... on Patient ${field} } }`,
        variables: {
          r: patients().map(({ patient }) => ({ __typename: 'Patient', id: patient.id })),
          filter: clinic.window,
        },
        expected: answer(
          { _entities: entities.map((entity) => entity.value) },
          ...entities.flatMap((entity) => (entity.error ? [entity.error] : [])),
        ),
      });
      return probes;
    },
  },
  {
    name: 'Doctor.appointments',
    cells: adr.readAppointments,
    async probes(role) {
      const cell = adr.readAppointments[role];
      const field = `{ id appointments(filter: $filter) { ${APPOINTMENTS} } }`;
      // "A clinician may ask for their own only; a patient sees only theirs with this doctor" (its SDL).
      const fieldOf = (doctor: Doctor, own: boolean, path: string) =>
        cell === '–' || (cell === 'own' && role === 'CLINICIAN' && !own)
          ? { value: { id: doctor.id, appointments: null }, errors: [forbidden(`${path}.appointments`)] }
          : {
              value: {
                id: doctor.id,
                appointments: page(visitsOf((visit) => visit.doctorId === doctor.id && ownTo(role)(visit))),
              },
              errors: [] as string[],
            };
      const probes: Probe[] = doctors().map(({ doctor, own }) => {
        const seen = fieldOf(doctor, own, 'doctor');
        return {
          what: `doctor(${doctor.label}) { appointments }`,
          query: `query ($id: ID!, $filter: AppointmentFilter) { doctor(id: $id) ${field} }`,
          variables: { id: doctor.id, filter: clinic.window },
          expected: allows(adr.readDoctors[role], own)
            ? answer({ doctor: seen.value }, ...seen.errors)
            : answer({ doctor: null }, forbidden('doctor')),
        };
      });
      const entities = doctors().map(({ doctor, own }, index) => fieldOf(doctor, own, `_entities.${index}`));
      probes.push({
        what: 'appointment subgraph: _entities(Doctor X, Doctor Y) { appointments }',
        via: 'appointment',
        query: `query ($r: [_Any!]!, $filter: AppointmentFilter) {
          _entities(representations: $r) { ... on Doctor ${field} } }`,
        variables: {
          r: doctors().map(({ doctor }) => ({ __typename: 'Doctor', id: doctor.id })),
          filter: clinic.window,
        },
        expected: answer(
          { _entities: entities.map((entity) => entity.value) },
          ...entities.flatMap((entity) => entity.errors),
        ),
      });
      return probes;
    },
  },
  {
    name: 'Doctor.availableSlots',
    cells: adr.availableSlots,
    async probes(role) {
      const allowed = allows(adr.availableSlots[role], false);
      const field = '{ id availableSlots(date: $date, durationMinutes: 30) { start } }';
      // Both doctors are booked 09:00-09:30 on the day: free at 10:00, not at 09:00.
      const check = (response: GraphQLResponse) => {
        const found = JSON.stringify(response.data);
        expect(found).toContain(clinic.at(10));
        expect(found).not.toContain(clinic.at(9));
      };
      const slotsOf = (doctor: Doctor, path: string) =>
        allowed
          ? {
              value: { id: doctor.id, availableSlots: expect.arrayContaining([{ start: clinic.at(10) }]) },
              errors: [] as string[],
            }
          : { value: { id: doctor.id, availableSlots: null }, errors: [forbidden(`${path}.availableSlots`)] };
      const date = clinic.day.toISODate();
      const probes: Probe[] = doctors().map(({ doctor, own }) => {
        const seen = slotsOf(doctor, 'doctor');
        return {
          what: `doctor(${doctor.label}) { availableSlots }`,
          query: `query ($id: ID!, $date: Date!) { doctor(id: $id) ${field} }`,
          variables: { id: doctor.id, date },
          expected: allows(adr.readDoctors[role], own)
            ? answer({ doctor: seen.value }, ...seen.errors)
            : answer({ doctor: null }, forbidden('doctor')),
          check,
        };
      });
      const entity = slotsOf(clinic.X, '_entities.0');
      probes.push({
        what: 'appointment subgraph: _entities(Doctor X) { availableSlots }',
        via: 'appointment',
        query: `query ($r: [_Any!]!, $date: Date!) { _entities(representations: $r) { ... on Doctor ${field} } }`,
        variables: { r: [{ __typename: 'Doctor', id: clinic.X.id }], date },
        expected: answer({ _entities: [entity.value] }, ...entity.errors),
        check,
      });
      return probes;
    },
  },
  {
    name: 'Appointment.patient',
    cells: both(adr.readAppointments, adr.readPatients),
    async probes(role) {
      const probes: Probe[] = fixtureVisits().map(({ visit, own }) => {
        const patient = visit === clinic.AX ? clinic.A : clinic.B;
        return {
          what: `appointment(${visit.label}) { patient }`,
          query: 'query ($id: ID!) { appointment(id: $id) { id patient { id mrn name { text } } } }',
          variables: { id: visit.id },
          expected: !allows(adr.readAppointments[role], own)
            ? answer({ appointment: null }, forbidden('appointment'))
            : allows(adr.readPatients[role], own)
              ? answer({ appointment: { id: visit.id, patient: patientData(patient) } })
              : answer({ appointment: { id: visit.id, patient: null } }, forbidden('appointment.patient')),
        };
      });
      // Straight to patient, as the router resolves the reference: the patient's rule, by reference.
      const entities = patients().map(({ patient, own }, index) =>
        allows(adr.readPatients[role], own)
          ? { value: patientData(patient) }
          : { value: null, error: forbidden(`_entities.${index}`) },
      );
      probes.push({
        what: 'patient subgraph: _entities(Patient A, Patient B)',
        via: 'patient',
        query:
          'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { id mrn name { text } } } }',
        variables: { r: patients().map(({ patient }) => ({ __typename: 'Patient', id: patient.id })) },
        expected: answer(
          { _entities: entities.map((entity) => entity.value) },
          ...entities.flatMap((entity) => (entity.error ? [entity.error] : [])),
        ),
      });
      return probes;
    },
  },
  {
    name: 'Appointment.doctor',
    cells: both(adr.readAppointments, adr.readDoctors),
    async probes(role) {
      const probes: Probe[] = fixtureVisits().map(({ visit, own }) => {
        const doctor = visit === clinic.AX ? clinic.X : clinic.Y;
        return {
          what: `appointment(${visit.label}) { doctor }`,
          query: 'query ($id: ID!) { appointment(id: $id) { id doctor { id name { text } } } }',
          variables: { id: visit.id },
          expected: !allows(adr.readAppointments[role], own)
            ? answer({ appointment: null }, forbidden('appointment'))
            : allows(adr.readDoctors[role], own)
              ? answer({ appointment: { id: visit.id, doctor: doctorData(doctor) } })
              : answer({ appointment: { id: visit.id, doctor: null } }, forbidden('appointment.doctor')),
        };
      });
      const entities = doctors().map(({ doctor, own }, index) =>
        allows(adr.readDoctors[role], own)
          ? { value: doctorData(doctor) }
          : { value: null, error: forbidden(`_entities.${index}`) },
      );
      probes.push({
        what: 'doctor subgraph: _entities(Doctor X, Doctor Y)',
        via: 'doctor',
        query:
          'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Doctor { id name { text } } } }',
        variables: { r: doctors().map(({ doctor }) => ({ __typename: 'Doctor', id: doctor.id })) },
        expected: answer(
          { _entities: entities.map((entity) => entity.value) },
          ...entities.flatMap((entity) => (entity.error ? [entity.error] : [])),
        ),
      });
      return probes;
    },
  },
  {
    name: 'users, signingKeys (identity)',
    cells: adr.identity,
    async probes(role) {
      const allowed = allows(adr.identity[role], false);
      return [
        {
          what: 'users',
          query: '{ users(first: 1) { totalCount } }',
          expected: allowed
            ? answer({ users: { totalCount: expect.any(Number) } })
            : answer(null, forbidden('users')),
        },
        {
          what: 'signingKeys',
          query: '{ signingKeys { kid } }',
          expected: allowed
            ? answer({ signingKeys: expect.arrayContaining([{ kid: expect.any(String) }]) })
            : answer(null, forbidden('signingKeys')),
        },
      ];
    },
  },
];

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
      if (probe.via) continue; // the subgraphs' own doors: below
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

// ---------------------------------------------------------------------------------------------------------
// A CLINICIAN's own patients: "patients they have or had appointments with", from the booking events.

describe('a CLINICIAN’s own patients', () => {
  const seenByClinician = async (patient: Patient) =>
    answerOf(
      (
        await send('CLINICIAN', {
          query: 'query ($id: ID!) { patient(id: $id) { id } }',
          variables: { id: patient.id },
        })
      ).body,
    );

  it('keeps a patient whose only visit with them was cancelled, and never gets another doctor’s', async () => {
    const [had, elsewhere, later] = await Promise.all([
      clinic.registerPatient('Had'),
      clinic.registerPatient('Elsewhere'),
      clinic.registerPatient('Later'),
    ]);
    const visit = await clinic.book(had, clinic.X, clinic.slot());
    await clinic.book(elsewhere, clinic.Y, clinic.slot());
    const cancelled = await clinic.frontDesk(
      'mutation ($id: ID!) { cancelAppointment(id: $id) { status } }',
      { id: visit.id },
    );
    expect(answerOf(cancelled)).toEqual(answer({ cancelAppointment: { status: 'CANCELLED' } }));
    // Booked after the cancellation: once the patient subgraph has this one, it has applied the others.
    await clinic.book(later, clinic.X, clinic.slot());
    await waitFor(async () => (await seenByClinician(later)).errors.length === 0, 30_000);
    expect(await seenByClinician(had)).toEqual(answer({ patient: { id: had.id } }));
    expect(await seenByClinician(elsewhere)).toEqual(answer({ patient: null }, forbidden('patient')));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Patient A after patient B, by every path there is.

describe('patient A never gets any of patient B’s data, by any path', () => {
  /** B's id, MRN, name and email and B–Y's id: no answer may hold any (some requests name them; none echoes). */
  const markersOfB = () => [clinic.B.id, clinic.B.mrn, clinic.B.name, clinic.B.email, clinic.BY.id];
  const someOfA = (data: unknown) => answer(data);
  const NAME = 'id mrn name { text } email';

  const paths: Array<[string, () => Probe]> = [
    [
      'patient(id: B)',
      () => ({
        what: 'patient(id: B)',
        query: `query ($id: ID!) { patient(id: $id) { ${NAME} } }`,
        variables: { id: clinic.B.id },
        expected: answer({ patient: null }, forbidden('patient')),
      }),
    ],
    [
      'patientByMrn(B’s MRN)',
      () => ({
        what: 'patientByMrn(B’s MRN)',
        query: `query ($mrn: String!) { patientByMrn(mrn: $mrn) { ${NAME} } }`,
        variables: { mrn: clinic.B.mrn },
        expected: answer({ patientByMrn: null }, forbidden('patientByMrn')),
      }),
    ],
    [
      'patients, unfiltered and by B’s name and birth date',
      () => ({
        what: 'patients',
        query: `{
          all: patients(first: 100) { totalCount edges { node { ${NAME} } } }
          byName: patients(filter: { name: "Ben" }) { totalCount edges { node { id } } }
          byBirthDate: patients(filter: { birthDate: "1985-06-15" }) { totalCount edges { node { id } } } }`,
        expected: someOfA({
          all: {
            totalCount: 1,
            edges: [{ node: { ...patientData(clinic.A), email: clinic.A.email } }],
          },
          byName: { totalCount: 0, edges: [] },
          byBirthDate: { totalCount: 1, edges: [{ node: { id: clinic.A.id } }] },
        }),
      }),
    ],
    [
      'appointment(id: B–Y) and its patient',
      () => ({
        what: 'appointment(id: B–Y)',
        query: `query ($id: ID!) { appointment(id: $id) { id start patient { ${NAME} } doctor { id } } }`,
        variables: { id: clinic.BY.id },
        expected: answer({ appointment: null }, forbidden('appointment')),
      }),
    ],
    [
      'appointments, unfiltered, with their patients',
      () => ({
        what: 'appointments',
        query: `{ appointments(first: 100) { totalCount edges { node { id patient { ${NAME} } } } } }`,
        expected: someOfA({ appointments: { totalCount: expect.any(Number), edges: expect.any(Array) } }),
        check(response) {
          const { edges, totalCount } = (response.data as { appointments: AppointmentPage }).appointments;
          expect(edges.length).toBe(totalCount);
          expect(edges.map((edge) => edge.node.patient.id)).toEqual(edges.map(() => clinic.A.id));
        },
      }),
    ],
    [
      'doctor Y → appointments → patient',
      () => ({
        what: 'doctor(Y) { appointments { patient } }',
        query: `query ($id: ID!) { doctor(id: $id) {
          appointments(first: 100) { totalCount edges { node { id patient { ${NAME} } } } } } }`,
        variables: { id: clinic.Y.id },
        expected: someOfA({
          doctor: {
            appointments: {
              totalCount: 1,
              edges: [
                {
                  node: { id: clinic.AY.id, patient: { ...patientData(clinic.A), email: clinic.A.email } },
                },
              ],
            },
          },
        }),
      }),
    ],
    [
      'doctors → appointments on B–Y’s day → patient',
      () => ({
        what: 'doctors { appointments { patient } }',
        query: `query ($name: String, $filter: AppointmentFilter) { doctors(filter: { name: $name }) { edges { node {
          id appointments(filter: $filter) { totalCount edges { node { id patient { id } } } } } } } }`,
        variables: { name: clinic.family, filter: clinic.window },
        expected: someOfA({
          doctors: {
            edges: [
              {
                node: {
                  id: clinic.X.id,
                  appointments: { totalCount: 1, edges: [visitWithPatient(clinic.AX)] },
                },
              },
              {
                node: {
                  id: clinic.Y.id,
                  appointments: { totalCount: 1, edges: [visitWithPatient(clinic.AY)] },
                },
              },
            ],
          },
        }),
      }),
    ],
    [
      'A’s own appointments → their doctors → the doctors’ appointments → patient',
      () => ({
        what: 'patient(A) { appointments { doctor { appointments { patient } } } }',
        query: `query ($id: ID!) { patient(id: $id) { appointments(first: 20) { edges { node { doctor {
          appointments(first: 20) { edges { node { id patient { ${NAME} } } } } } } } } } }`,
        variables: { id: clinic.A.id },
        expected: someOfA({ patient: { appointments: { edges: expect.any(Array) } } }),
        check(response) {
          const text = JSON.stringify(response.data);
          expect(text).toContain(clinic.AY.id); // it did go through doctor Y
          expect(
            text.match(/"patient":\{"id":"([^"]+)"/g)?.every((found) => found.includes(clinic.A.id)),
          ).toBe(true);
        },
      }),
    ],
    [
      'straight to patient: _entities(Patient B), patient(id: B), patients',
      () => ({
        what: 'patient subgraph',
        via: 'patient',
        query: `query ($r: [_Any!]!, $id: ID!) {
          _entities(representations: $r) { ... on Patient { mrn name { text } email } }
          patient(id: $id) { mrn } patients(first: 100) { totalCount edges { node { id } } } }`,
        variables: { r: [{ __typename: 'Patient', id: clinic.B.id }], id: clinic.B.id },
        expected: answer(
          {
            _entities: [null],
            patient: null,
            patients: { totalCount: 1, edges: [{ node: { id: clinic.A.id } }] },
          },
          forbidden('_entities.0'),
          forbidden('patient'),
        ),
      }),
    ],
    [
      'straight to appointment: _entities(Appointment B–Y), Patient B’s and doctor Y’s appointments',
      () => ({
        what: 'appointment subgraph',
        via: 'appointment',
        query: `query ($visit: [_Any!]!, $patient: [_Any!]!, $doctor: [_Any!]!) {
          visit: _entities(representations: $visit) { ... on Appointment { start patient { id } } }
          patient: _entities(representations: $patient) { ... on Patient { appointments { totalCount edges { node { id } } } } }
          doctor: _entities(representations: $doctor) { ... on Doctor {
            appointments(first: 100) { totalCount edges { node { id patient { id } } } } } } }`,
        variables: {
          visit: [{ __typename: 'Appointment', id: clinic.BY.id }],
          patient: [{ __typename: 'Patient', id: clinic.B.id }],
          doctor: [{ __typename: 'Doctor', id: clinic.Y.id }],
        },
        expected: answer(
          {
            visit: [null],
            patient: [{ appointments: null }],
            doctor: [{ appointments: { totalCount: 1, edges: [visitWithPatient(clinic.AY)] } }],
          },
          forbidden('visit.0'),
          forbidden('patient.0.appointments'),
        ),
      }),
    ],
  ];

  it.each(paths)('%s', async (_what, probeOf) => {
    const probe = probeOf();
    const { body } = await send('PATIENT', probe);
    const text = JSON.stringify(body);
    expect({ what: probe.what, leaked: markersOfB().filter((marker) => text.includes(marker)) }).toEqual({
      what: probe.what,
      leaked: [],
    });
    expect({ what: probe.what, ...answerOf(body) }).toEqual({ what: probe.what, ...probe.expected });
    probe.check?.(body);
  });
});

interface AppointmentPage {
  totalCount: number;
  edges: Array<{ node: { id: string; patient: { id: string } } }>;
}

const visitWithPatient = (visit: Visit) => ({ node: { id: visit.id, patient: { id: visit.patientId } } });

// ---------------------------------------------------------------------------------------------------------
// Each subgraph's own door, without the router.

type Token =
  | 'no token'
  | 'an expired token'
  | 'another key'
  | 'another key under identity’s kid'
  | 'a tampered token'
  | 'an unsigned token (alg none)';
const refusals: Record<Token, string> = {
  'no token': 'Authentication required',
  'an expired token': 'The access token has expired',
  'another key': 'The access token is not valid',
  'another key under identity’s kid': 'The access token is not valid',
  'a tampered token': 'The access token is not valid',
  'an unsigned token (alg none)': 'The access token is not valid',
};

/** The Authorization header of each kind of token, with a role's claims (FRONT_DESK: the most it may do). */
async function headersWith(
  token: Token | 'identity’s own key',
  role: Role = 'FRONT_DESK',
): Promise<Record<string, string>> {
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
  const now = Math.floor(Date.now() / 1000);
  const claims = { role };
  switch (token) {
    case 'no token':
      return {};
    case 'an expired token': // identity's own key, a minute past its expiry
      return bearer(
        signAccessToken(await system.activeSigningKey(), claims, {
          issuedAt: now - 960,
          expiresAt: now - 60,
        }),
      );
    case 'another key': // a key identity never published (its kid unknown to every verifier)
      return (await createTestKeys('another-key')).headersFor(claims);
    case 'another key under identity’s kid': {
      const { kid } = await system.activeSigningKey();
      const forged = { kid, privateJwk: strangerJwk() };
      return bearer(signAccessToken(forged, claims, { issuedAt: now, expiresAt: now + 900 }));
    }
    case 'a tampered token': {
      // A PATIENT's real token with the role changed, the signature kept.
      const { authorization } = await system.as('PATIENT', linksOf('PATIENT', clinic));
      return bearer(tamperedToken(authorization?.replace('Bearer ', '') ?? '', claims));
    }
    case 'an unsigned token (alg none)': {
      const { kid } = await system.activeSigningKey();
      return bearer(unsignedToken(kid, claims, { issuedAt: now, expiresAt: now + 900 }));
    }
    case 'identity’s own key': {
      // The control: signed the same way as the expired one, unexpired, for a user that exists.
      const me = await graphqlRequest(system.routerUrl, '{ me { id } }', {}, await system.as(role));
      const subject = dataOf<{ id: string }>(me, 'me').id;
      const key = await system.activeSigningKey();
      return bearer(signAccessToken(key, claims, { issuedAt: now, expiresAt: now + 900, subject }));
    }
  }
}

interface Door {
  root: string;
  query: string;
  variables?: Record<string, unknown>;
  /** The root field is nullable (data keeps it as null), else data is null. */
  nullable?: boolean;
  /** A mutation: it changed nothing. */
  unchanged?(): Promise<void>;
}

function doorsOf(subgraph: SubgraphName): Door[] {
  const { A, X, AX } = clinic;
  switch (subgraph) {
    case 'patient': {
      const mrn = unique('DOOR-');
      return [
        {
          root: 'patient',
          query: 'query ($id: ID!) { patient(id: $id) { id } }',
          variables: { id: A.id },
          nullable: true,
        },
        {
          root: 'patientByMrn',
          query: 'query ($mrn: String!) { patientByMrn(mrn: $mrn) { id } }',
          variables: { mrn: A.mrn },
          nullable: true,
        },
        { root: 'patients', query: '{ patients { totalCount } }' },
        {
          root: '_entities',
          query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { id mrn } } }',
          variables: { r: [{ __typename: 'Patient', id: A.id }] },
        },
        {
          root: 'registerPatient',
          query: 'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
          variables: { input: { ...clinic.patientInput('Door'), mrn } },
          unchanged: () =>
            frontDeskSees(
              'query ($mrn: String!) { patientByMrn(mrn: $mrn) { id } }',
              { mrn },
              { patientByMrn: null },
            ),
        },
        {
          root: 'updatePatient',
          query: `mutation ($id: ID!) { updatePatient(id: $id, expectedVersion: 1, input: { phone: "+1 555 0100" }) { id } }`,
          variables: { id: A.id },
          unchanged: () =>
            frontDeskSees(
              'query ($id: ID!) { patient(id: $id) { version phone } }',
              { id: A.id },
              {
                patient: { version: 1, phone: null },
              },
            ),
        },
      ];
    }
    case 'doctor': {
      const family = unique('Door').toLowerCase();
      return [
        {
          root: 'doctor',
          query: 'query ($id: ID!) { doctor(id: $id) { id } }',
          variables: { id: X.id },
          nullable: true,
        },
        { root: 'doctors', query: '{ doctors { totalCount } }' },
        {
          root: '_entities',
          query:
            'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Doctor { id name { text } } } }',
          variables: { r: [{ __typename: 'Doctor', id: X.id }] },
        },
        {
          root: 'registerDoctor',
          query: 'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }',
          variables: { input: clinic.doctorInput('Door', family) },
          unchanged: () =>
            frontDeskSees(
              'query ($name: String) { doctors(filter: { name: $name }) { totalCount } }',
              { name: family },
              { doctors: { totalCount: 0 } },
            ),
        },
        {
          root: 'updateDoctor',
          query: `mutation ($id: ID!) {
            updateDoctor(id: $id, expectedVersion: 1, input: { specialties: ["Cardiology"] }) { id } }`,
          variables: { id: X.id },
          unchanged: () =>
            frontDeskSees(
              'query ($id: ID!) { doctor(id: $id) { version specialties } }',
              { id: X.id },
              {
                doctor: { version: 1, specialties: ['General practice'] },
              },
            ),
        },
      ];
    }
    case 'appointment': {
      const start = clinic.slot();
      return [
        {
          root: 'appointment',
          query: 'query ($id: ID!) { appointment(id: $id) { id } }',
          variables: { id: AX.id },
          nullable: true,
        },
        { root: 'appointments', query: '{ appointments { totalCount } }' },
        {
          root: '_entities',
          query: `query ($r: [_Any!]!) { _entities(representations: $r) {
            ... on Appointment { id start } ... on Patient { appointments { totalCount } }
            ... on Doctor { availableSlots(date: "2030-01-07", durationMinutes: 30) { start } } } }`,
          variables: {
            r: [
              { __typename: 'Appointment', id: AX.id },
              { __typename: 'Patient', id: A.id },
              { __typename: 'Doctor', id: X.id },
            ],
          },
        },
        {
          root: 'bookAppointment',
          query: 'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }',
          variables: { input: { patientId: A.id, doctorId: X.id, start, durationMinutes: 30 } },
          unchanged: nothingBookedAt(start),
        },
        {
          root: 'cancelAppointment',
          query: 'mutation ($id: ID!) { cancelAppointment(id: $id) { id } }',
          variables: { id: AX.id },
          unchanged: unchangedVisit(AX),
        },
      ];
    }
    case 'identity': {
      const username = unique('door-').toLowerCase();
      return [
        { root: 'me', query: '{ me { id } }', nullable: true },
        { root: 'users', query: '{ users { totalCount } }' },
        { root: 'signingKeys', query: '{ signingKeys { kid } }' },
        {
          root: 'createUser',
          query: 'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
          variables: { input: { username, password: 'a-door-password-1', role: 'ADMIN' } },
          async unchanged() {
            const response = await graphqlPost(
              system.routerUrl,
              'query ($name: String) { users(filter: { username: $name }) { totalCount } }',
              { name: username },
              await system.as('ADMIN'),
            );
            expect(answerOf(response.body)).toEqual(answer({ users: { totalCount: 0 } }));
          },
        },
      ];
    }
  }
}

const subgraphNames: SubgraphName[] = ['patient', 'doctor', 'appointment', 'identity'];

describe('straight to a subgraph, without the router', () => {
  const refusedCases = subgraphNames.flatMap((subgraph) =>
    (Object.keys(refusals) as Token[]).map((token) => [subgraph, token] as const),
  );

  it.each(refusedCases)(
    '%s with %s: every root field UNAUTHENTICATED, nothing changed; { __typename } and _service answer',
    async (subgraph, token) => {
      const url = system.subgraphUrls[subgraph];
      const headers = await headersWith(token);
      const doors = doorsOf(subgraph);
      // All at once: a token of an unknown key costs each request a JWKS look-up (the kit's 1 s cooldown).
      const [typename, service, ...responses] = await Promise.all(
        [{ query: '{ __typename }' }, { query: '{ _service { sdl } }' }, ...doors].map((door) =>
          graphqlRequest(url, door.query, 'variables' in door ? door.variables : {}, headers),
        ),
      );
      expect(typename).toEqual({ data: { __typename: 'Query' } });
      expect(answerOf(service as GraphQLResponse)).toEqual(
        answer({ _service: { sdl: expect.stringContaining('type Query') } }),
      );
      doors.forEach((door, index) => {
        const response = responses[index] as GraphQLResponse;
        const what = `${subgraph} ${door.root}`;
        expect({ what, ...answerOf(response) }).toEqual({
          what,
          ...answer(door.nullable ? { [door.root]: null } : null, `UNAUTHENTICATED at ${door.root}`),
        });
        expect({ what, message: response.errors?.[0]?.message }).toEqual({ what, message: refusals[token] });
      });
      for (const door of doors) await door.unchanged?.();
    },
  );

  const controls = subgraphNames.flatMap((subgraph) =>
    (['a user’s login', 'identity’s own key'] as const).map((token) => [subgraph, token] as const),
  );

  // The same doors (their queries) answer a valid token: the refusals above are the token's.
  it.each(controls)('%s with %s: every query answers', async (subgraph, token) => {
    const role = subgraph === 'identity' ? 'ADMIN' : 'FRONT_DESK';
    const headers = token === 'a user’s login' ? await system.as(role) : await headersWith(token, role);
    for (const door of doorsOf(subgraph).filter((candidate) => !candidate.unchanged)) {
      const response = await graphqlRequest(
        system.subgraphUrls[subgraph],
        door.query,
        door.variables,
        headers,
      );
      const what = `${subgraph} ${door.root}`;
      expect({ what, errors: response.errors }).toEqual({ what, errors: undefined });
      expect({ what, value: response.data?.[door.root] ?? null }).not.toEqual({ what, value: null });
    }
  });
});
