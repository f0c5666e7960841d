import { type GraphQLResponse, graphqlPost, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Door, describeDoors } from './matrix-doors.ts';
import type { Doctor, Patient } from './matrix-fixtures.ts';
import {
  APPOINTMENTS,
  adr,
  allows,
  answer,
  answerOf,
  both,
  clinic,
  describeOperations,
  doctorData,
  doctors,
  fixtureVisits,
  forbidden,
  type Operation,
  ownTo,
  type Probe,
  page,
  patientData,
  patients,
  reaches,
  send,
  startMatrix,
  stopMatrix,
  system,
  unique,
  visitsOf,
} from './matrix-probes.ts';

/**
 * ADR 0016's matrix across the subgraphs, end to end on the embedded system: the fields that cross a
 * subgraph boundary, and identity's, for every role (and without a token), through the router and
 * straight to the subgraph that resolves the reference, the allowed and the denied answers both; then a
 * CLINICIAN's own patients as the booking events make them; then identity's own door with no token, an
 * expired one and forged ones.
 */

beforeAll(startMatrix, 120_000);
afterAll(stopMatrix, 60_000);

// ---------------------------------------------------------------------------------------------------------
// Every operation.

const operations: Operation[] = [
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

describeOperations(operations);

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
// The identity subgraph's own door, without the router.

function doorsOf(): Door[] {
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

describeDoors('identity', doorsOf);
