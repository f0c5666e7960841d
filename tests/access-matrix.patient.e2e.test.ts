import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Door, describeDoors } from './matrix-doors.ts';
import type { Visit } from './matrix-fixtures.ts';
import {
  adr,
  allows,
  answer,
  answerOf,
  clinic,
  describeOperations,
  forbidden,
  freshPatients,
  frontDeskSees,
  type Operation,
  type Probe,
  patientData,
  patients,
  send,
  startMatrix,
  stopMatrix,
  unique,
} from './matrix-probes.ts';

/**
 * ADR 0016's matrix for the patient subgraph, end to end on the embedded system: its every Query and
 * Mutation field, for every role (and without a token), through the router, the allowed and the denied
 * answers both; then patient A looking for patient B by every path; then patient's own door with no
 * token, an expired one and forged ones.
 */

beforeAll(startMatrix, 120_000);
afterAll(stopMatrix, 60_000);

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
];

describeOperations(operations);

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
// The patient subgraph's own door, without the router.

function doorsOf(): Door[] {
  const { A } = clinic;
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

describeDoors('patient', doorsOf);
