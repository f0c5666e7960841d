import type { Role } from '@hsg/kit/auth';
import { dataOf, graphqlRequest, retryUnavailable, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, expect } from '@jest/globals';
import { type Door, describeDoors } from './matrix-doors.ts';
import type { Patient } from './matrix-fixtures.ts';
import {
  adr,
  allows,
  answer,
  answerOf,
  both,
  clinic,
  describeOperations,
  forbidden,
  type Operation,
  ownAndOther,
  type Probe,
  patients,
  startMatrix,
  stopMatrix,
  system,
  unique,
} from './matrix-probes.ts';

/**
 * ADR 0016's matrix for the observation subgraph (issue 14, ADR 0020), end to end on the embedded
 * system: its every Query and Mutation field and its fields on Patient, for every role (and without a
 * token), through the router, the allowed and the denied answers both; then observation's own door with
 * no token, an expired one and forged ones.
 */

// Every code system of this file is the run's own, so lists filtered by one see only its results.
let SYSTEM = ''; // A's and B's fixture results, never changed
let POOL_SYSTEM = ''; // fresh results for the allowed corrections
let NEW_SYSTEM = ''; // recordLabResults' probes

type Recorded = { id: string; status: string; version: number };
interface Fixture {
  patient: Patient;
  own: boolean;
  /** Glucose then haemoglobin: newest first in lists, by code in latestResults. */
  glucose: Recorded;
  haemoglobin: Recorded;
  /** The batch as sent: sent again, it is a duplicate. */
  input: Record<string, unknown>;
  /** The second page's cursor: the first page (first: 1) ends at it. */
  cursor: string;
}
let ofA: Fixture;
let ofB: Fixture;
const pools: Record<'A' | 'B', Recorded[]> = { A: [], B: [] };
// The allowed corrections and retractions: the CLINICIAN's of A, the INTEGRATION's of A and of B.
const POOL = { A: 4, B: 2 };

const RECORD = `mutation ($input: RecordLabResultsInput!) {
  recordLabResults(input: $input) { duplicate observations { id status version } } }`;

/** A glucose result; the pool's and the probes' under a code of their own (latestResults matches codes). */
const glucose = (system: string, value = 91, code = 'GLU') => ({
  code: { system, code, display: 'Glucose' },
  status: 'FINAL',
  effective: '2026-03-01T08:00:00.000Z',
  valueQuantity: { value, unit: 'mg/dL' },
  interpretation: ['N'],
});
const haemoglobin = (system: string) => ({
  code: { system, code: 'HB', display: 'Haemoglobin' },
  status: 'FINAL',
  effective: '2026-03-02T08:00:00.000Z',
  valueQuantity: { value: 14, unit: 'g/dL' },
});
const batch = (patient: Patient, results: unknown[]) => ({
  patientId: patient.id,
  source: { sendingFacility: 'MATRIX-LAB', messageId: unique('MSG-') },
  results,
});

/** As INTEGRATION: UNAVAILABLE until observation has learnt the patient from patient's events. */
async function record(input: Record<string, unknown>): Promise<Recorded[]> {
  const integration = await system.as('INTEGRATION');
  const response = await retryUnavailable(
    () => graphqlRequest(system.routerUrl, RECORD, { input }, integration),
    { attempts: 150, delayMs: 100 },
  );
  return dataOf<{ observations: Recorded[] }>(response, 'recordLabResults').observations;
}

/** As a PATIENT user linked to the patient: who reads their results whatever the probe did. */
const read = async (patientId: string, query: string, variables: Record<string, unknown>) =>
  graphqlRequest(system.routerUrl, query, variables, await system.as('PATIENT', { patientId }));

beforeAll(async () => {
  await startMatrix();
  SYSTEM = `urn:matrix:${unique('fix')}`;
  POOL_SYSTEM = `urn:matrix:${unique('pool')}`;
  NEW_SYSTEM = `urn:matrix:${unique('new')}`;
  const fixture = async (patient: Patient, own: boolean, size: number): Promise<Fixture> => {
    const input = batch(patient, [glucose(SYSTEM), haemoglobin(SYSTEM)]);
    const [first, second] = await record(input);
    pools[own ? 'A' : 'B'].push(
      ...(await record(batch(patient, Array(size).fill(glucose(POOL_SYSTEM, 91, 'POOL'))))),
    );
    const response = await read(
      patient.id,
      `query ($id: ID!, $system: String) {
        observations(patientId: $id, filter: { system: $system }, first: 1) { pageInfo { endCursor } } }`,
      { id: patient.id, system: SYSTEM },
    );
    const cursor = dataOf<{ pageInfo: { endCursor: string } }>(response, 'observations').pageInfo.endCursor;
    return { patient, own, glucose: first as Recorded, haemoglobin: second as Recorded, input, cursor };
  };
  [ofA, ofB] = await Promise.all([fixture(clinic.A, true, POOL.A), fixture(clinic.B, false, POOL.B)]);
  // X's patients are those with a booking with X: observation learns them from appointment's events.
  const clinician = await system.as('CLINICIAN', { doctorId: clinic.X.id });
  await waitFor(async () => {
    const query = 'query ($id: ID!) { observation(id: $id) { id } }';
    const response = await graphqlRequest(system.routerUrl, query, { id: ofA.glucose.id }, clinician);
    return response.data?.observation != null;
  }, 30_000);
}, 180_000);
afterAll(stopMatrix, 60_000);

const fixtures = () => [ofA, ofB];
const fresh = (own: boolean) => {
  const observation = pools[own ? 'A' : 'B'].shift();
  if (!observation) throw new Error('the pool of fresh observations is used up: make POOL larger');
  return observation;
};
const node = ({ id }: Recorded) => ({ node: { id } });
const glucoseOf = (fixture: Fixture) => ({
  id: fixture.glucose.id,
  status: 'FINAL',
  version: 1,
  code: { coding: [{ system: SYSTEM, code: 'GLU' }] },
  valueQuantity: { value: 91, unit: 'mg/dL' },
  patient: { id: fixture.patient.id },
});
const GLUCOSE =
  'id status version code { coding { system code } } valueQuantity { value unit } patient { id }';

/** What the patient's reader sees of an observation after a mutation (or that a refused one did nothing). */
function readerSees(patientId: string, id: string, state: Record<string, unknown>) {
  return async () => {
    const query = 'query ($id: ID!) { observation(id: $id) { status version valueQuantity { value } } }';
    const what = `observation ${id}`;
    expect({ what, ...answerOf(await read(patientId, query, { id })) }).toEqual({
      what,
      ...answer({ observation: state }),
    });
  };
}
/** How many of A's results have this code, as A's reader sees them. */
const countOf = (code: string, count: number) => async () => {
  const query = `query ($id: ID!, $code: String) {
    observations(patientId: $id, filter: { code: $code }) { totalCount } }`;
  const response = await read(clinic.A.id, query, { id: clinic.A.id, code });
  expect({ code, ...answerOf(response) }).toEqual({
    code,
    ...answer({ observations: { totalCount: count } }),
  });
};
const untouched = (fixture: Fixture) =>
  readerSees(fixture.patient.id, fixture.glucose.id, {
    status: 'FINAL',
    version: 1,
    valueQuantity: { value: 91 },
  });

/** An _entities answer: each null one FORBIDDEN at its index (or at its field there). */
const entities = (values: unknown[], at: (index: number) => string) =>
  answer(
    { _entities: values },
    ...values.flatMap((value, i) => (value ? [] : [forbidden(`_entities.${at(i)}`)])),
  );

/**
 * correctObservation or markObservationEnteredInError, of a fresh result where the role may (A's as
 * the CLINICIAN, A's and B's as INTEGRATION), else of A's and B's fixture glucose; A's or B's reader
 * sees afterwards what it changed, or that a refused one did nothing.
 */
function change(
  name: 'correctObservation' | 'markObservationEnteredInError',
  request: (id: string) => { query: string; variables: Record<string, unknown> },
  after: Record<string, unknown>,
): Operation {
  const cells = adr.correctObservations;
  return {
    name,
    cells,
    async probes(role) {
      return ownAndOther.map((own): Probe => {
        const fixture = own ? ofA : ofB;
        const allowed = allows(cells[role], own);
        const { id } = allowed ? fresh(own) : fixture.glucose;
        return {
          what: `${name}(${allowed ? 'a fresh result' : 'the glucose'} of ${fixture.patient.label})`,
          ...request(id),
          expected: allowed
            ? answer({ [name]: { id, status: after.status, version: 2 } })
            : answer(null, forbidden(name)),
          check: readerSees(fixture.patient.id, id, after),
          unchanged: untouched(fixture),
        };
      });
    },
  };
}

/**
 * A field of Patient (patient(A | B) { field }): through the router it needs patient's rule and
 * observation's; straight to observation (as the router asks for it under any parent) observation's
 * alone. Both fields are non-null: a denied one nulls its parent.
 */
function ofPatient(field: string, selection: string, seen: (fixture: Fixture) => unknown): Operation {
  return {
    name: `Patient.${field}`,
    cells: both(adr.readPatients, adr.readObservations),
    async probes(role) {
      const allowed = (own: boolean) => allows(adr.readObservations[role], own);
      const system = selection.includes('$system') ? ', $system: String' : '';
      const probes: Probe[] = fixtures().map((fixture) => {
        const { patient, own } = fixture;
        return {
          what: `patient(${patient.label}) { ${field} }`,
          query: `query ($id: ID!${system}) { patient(id: $id) { id ${selection} } }`,
          variables: { id: patient.id, system: SYSTEM },
          expected: !allows(adr.readPatients[role], own)
            ? answer({ patient: null }, forbidden('patient'))
            : allowed(own)
              ? answer({ patient: { id: patient.id, [field]: seen(fixture) } })
              : answer({ patient: null }, forbidden(`patient.${field}`)),
        };
      });
      probes.push({
        what: `observation subgraph: _entities(Patient A, B) { ${field} }`,
        via: 'observation',
        query: `query ($r: [_Any!]!${system}) { _entities(representations: $r) {
          ... on Patient { id ${selection} } } }`,
        variables: {
          r: patients().map(({ patient }) => ({ __typename: 'Patient', id: patient.id })),
          system: SYSTEM,
        },
        expected: entities(
          fixtures().map((fixture) =>
            allowed(fixture.own) ? { id: fixture.patient.id, [field]: seen(fixture) } : null,
          ),
          (index) => `${index}.${field}`,
        ),
      });
      return probes;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Every operation.

const operations: Operation[] = [
  {
    name: 'observation(id)',
    cells: adr.readObservations,
    async probes(role) {
      const cell = adr.readObservations[role];
      const probes: Probe[] = fixtures().map((fixture) => ({
        what: `observation(${fixture.patient.label}’s glucose)`,
        query: `query ($id: ID!) { __typename observation(id: $id) { ${GLUCOSE} } }`,
        variables: { id: fixture.glucose.id },
        expected: allows(cell, fixture.own)
          ? answer({ __typename: 'Query', observation: glucoseOf(fixture) })
          : answer({ __typename: 'Query', observation: null }, forbidden('observation')),
      }));
      // Straight to observation, as the router resolves an observation another subgraph returns; an
      // INTEGRATION reads only what its own mutations answer, not entities.
      probes.push({
        what: 'observation subgraph: _entities(A’s glucose, B’s glucose)',
        via: 'observation',
        query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Observation { id status } } }`,
        variables: {
          r: fixtures().map((fixture) => ({ __typename: 'Observation', id: fixture.glucose.id })),
        },
        expected: entities(
          fixtures().map((fixture) =>
            allows(cell, fixture.own) ? { id: fixture.glucose.id, status: 'FINAL' } : null,
          ),
          String,
        ),
      });
      return probes;
    },
  },
  {
    name: 'observations(patientId, filter, first, after)',
    cells: adr.readObservations,
    async probes(role) {
      return fixtures().flatMap((fixture) => {
        const allowed = allows(adr.readObservations[role], fixture.own);
        const pageOf = (after: string | null, edges: Recorded[], hasNextPage: boolean) => ({
          what: `observations(patientId: ${fixture.patient.label}, first: 1${after ? ', after' : ''})`,
          query: `query ($id: ID!, $system: String, $after: String) {
            observations(patientId: $id, filter: { system: $system }, first: 1, after: $after) {
              totalCount edges { node { id } } pageInfo { hasNextPage hasPreviousPage } } }`,
          variables: { id: fixture.patient.id, system: SYSTEM, after },
          expected: allowed
            ? answer({
                observations: {
                  totalCount: 2,
                  edges: edges.map(node),
                  pageInfo: { hasNextPage, hasPreviousPage: after !== null },
                },
              })
            : answer(null, forbidden('observations')),
        });
        // Newest first: haemoglobin (2 March), then glucose (1 March).
        return [pageOf(null, [fixture.haemoglobin], true), pageOf(fixture.cursor, [fixture.glucose], false)];
      });
    },
  },
  ofPatient(
    'observations',
    'observations(filter: { system: $system }) { totalCount edges { node { id } } }',
    (fixture) => ({ totalCount: 2, edges: [fixture.haemoglobin, fixture.glucose].map(node) }),
  ),
  ofPatient(
    'latestResults',
    // Codes are matched without their system: only this run's fixture has GLU and HB under SYSTEM.
    'latestResults(codes: ["GLU", "HB"]) { id code { coding { system } } }',
    (fixture) =>
      [fixture.glucose, fixture.haemoglobin].map(({ id }) => ({
        id,
        code: { coding: [{ system: SYSTEM }] },
      })),
  ),
  {
    name: 'recordLabResults',
    cells: adr.recordLabResults,
    async probes(role) {
      const allowed = allows(adr.recordLabResults[role], true);
      const code = unique('NEW');
      const result = glucose(NEW_SYSTEM, 91, code);
      // B's fixture batch again: a duplicate, nothing stored; an INTEGRATION reads no value of it.
      const repeat = ofB.input.results as unknown[];
      const values = repeat.map((_, index) =>
        forbidden(`recordLabResults.observations.${index}.valueQuantity`),
      );
      return [
        {
          what: 'recordLabResults(a new batch for A)',
          query: RECORD,
          variables: { input: batch(clinic.A, [result]) },
          expected: allowed
            ? answer({
                recordLabResults: {
                  duplicate: false,
                  observations: [{ id: expect.any(String), status: 'FINAL', version: 1 }],
                },
              })
            : answer(null, forbidden('recordLabResults')),
          check: countOf(code, 1),
          unchanged: countOf(code, 0),
        },
        {
          what: 'recordLabResults(B’s fixture batch again) { valueQuantity }',
          query: `mutation ($input: RecordLabResultsInput!) { recordLabResults(input: $input) {
            duplicate observations { id status version valueQuantity { value } } } }`,
          variables: { input: ofB.input },
          expected: allowed
            ? answer(
                {
                  recordLabResults: {
                    duplicate: true,
                    observations: [ofB.glucose, ofB.haemoglobin].map(({ id }) => ({
                      id,
                      status: 'FINAL',
                      version: 1,
                      valueQuantity: null,
                    })),
                  },
                },
                ...values,
              )
            : answer(null, forbidden('recordLabResults')),
          unchanged: untouched(ofB),
        },
      ];
    },
  },
  change(
    'correctObservation',
    (id) => ({
      query: `mutation ($id: ID!, $input: LabResultInput!) {
        correctObservation(id: $id, expectedVersion: 1, input: $input) { id status version } }`,
      variables: { id, input: { ...glucose(POOL_SYSTEM, 95, 'POOL'), status: 'CORRECTED' } },
    }),
    { status: 'CORRECTED', version: 2, valueQuantity: { value: 95 } },
  ),
  change(
    'markObservationEnteredInError',
    (id) => ({
      query: `mutation ($id: ID!) {
        markObservationEnteredInError(id: $id, expectedVersion: 1, reason: "matrix") { id status version } }`,
      variables: { id },
    }),
    { status: 'ENTERED_IN_ERROR', version: 2, valueQuantity: { value: 91 } },
  ),
];

describeOperations(operations);

// ---------------------------------------------------------------------------------------------------------
// The observation subgraph's own door, without the router.

function doorsOf(): Door[] {
  const { id } = ofA.glucose;
  const code = unique('DOOR');
  return [
    {
      root: 'observation',
      query: 'query ($id: ID!) { observation(id: $id) { id } }',
      variables: { id },
      nullable: true,
    },
    {
      root: 'observations',
      query: 'query ($id: ID!) { observations(patientId: $id) { totalCount } }',
      variables: { id: clinic.A.id },
    },
    {
      root: '_entities',
      query: `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on Observation { id status } ... on Patient { observations { totalCount } latestResults { id } } } }`,
      variables: {
        r: [
          { __typename: 'Observation', id },
          { __typename: 'Patient', id: clinic.A.id },
        ],
      },
    },
    {
      root: 'recordLabResults',
      query: 'mutation ($input: RecordLabResultsInput!) { recordLabResults(input: $input) { duplicate } }',
      variables: { input: batch(clinic.A, [glucose(NEW_SYSTEM, 91, code)]) },
      unchanged: countOf(code, 0),
    },
    {
      root: 'correctObservation',
      query: `mutation ($id: ID!, $input: LabResultInput!) {
        correctObservation(id: $id, expectedVersion: 1, input: $input) { id } }`,
      variables: { id, input: { ...glucose(SYSTEM, 95, 'DOOR'), status: 'CORRECTED' } },
      unchanged: untouched(ofA),
    },
    {
      root: 'markObservationEnteredInError',
      query: `mutation ($id: ID!) {
        markObservationEnteredInError(id: $id, expectedVersion: 1, reason: "door") { id } }`,
      variables: { id },
      unchanged: untouched(ofA),
    },
  ];
}

// The valid tokens are A's PATIENT's: they read A's results.
describeDoors('observation', doorsOf, () => ({ role: 'PATIENT' as Role, links: { patientId: clinic.A.id } }));
