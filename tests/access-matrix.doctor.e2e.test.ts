import { afterAll, beforeAll } from '@jest/globals';
import { type Door, describeDoors } from './matrix-doors.ts';
import {
  adr,
  allows,
  answer,
  clinic,
  describeOperations,
  doctorData,
  doctors,
  forbidden,
  frontDeskSees,
  type Operation,
  startMatrix,
  stopMatrix,
  unique,
} from './matrix-probes.ts';

/**
 * ADR 0016's matrix for the doctor subgraph, end to end on the embedded system: its every Query and
 * Mutation field, for every role (and without a token), through the router, the allowed and the denied
 * answers both; then doctor's own door with no token, an expired one and forged ones.
 */

beforeAll(startMatrix, 120_000);
afterAll(stopMatrix, 60_000);

// ---------------------------------------------------------------------------------------------------------
// Every operation.

const operations: Operation[] = [
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
];

describeOperations(operations);

// ---------------------------------------------------------------------------------------------------------
// The doctor subgraph's own door, without the router.

function doorsOf(): Door[] {
  const { X } = clinic;
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
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Doctor { id name { text } } } }',
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

describeDoors('doctor', doorsOf);
