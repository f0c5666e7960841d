import { waitFor } from '@hsg/testing';
import { afterAll, beforeAll } from '@jest/globals';
import { type Door, describeDoors } from './matrix-doors.ts';
import {
  APPOINTMENTS,
  adr,
  allows,
  answer,
  clinic,
  describeOperations,
  fixtureVisits,
  forbidden,
  freshVisit,
  nothingBookedAt,
  type Operation,
  ownAndOther,
  ownTo,
  type Probe,
  page,
  startMatrix,
  stopMatrix,
  unchangedVisit,
  visitsOf,
} from './matrix-probes.ts';

/**
 * ADR 0016's matrix for the appointment subgraph, end to end on the embedded system: its every Query and
 * Mutation field, for every role (and without a token), through the router, the allowed and the denied
 * answers both; then appointment's own door with no token, an expired one and forged ones. Its fields
 * on Patient and Doctor are the cross-subgraph file's.
 */

beforeAll(startMatrix, 120_000);
afterAll(stopMatrix, 60_000);

// ---------------------------------------------------------------------------------------------------------
// Every operation.

const operations: Operation[] = [
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
];

describeOperations(operations);

// ---------------------------------------------------------------------------------------------------------
// The appointment subgraph's own door, without the router.

function doorsOf(): Door[] {
  const { A, X, AX } = clinic;
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

describeDoors('appointment', doorsOf);
