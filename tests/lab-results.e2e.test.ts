import { dataOf, errorCode, graphqlRequest, retryUnavailable, uniqueName, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { embeddedSystem, type RunningSystem, realSystem } from './systems.ts';

interface Seen {
  id: string;
  status: string;
  code: { coding: Array<{ system: string | null; code: string }> };
  valueQuantity: { value: number; unit: string | null; comparator: string | null } | null;
  valueString: string | null;
  valueCodeableConcept: { coding: Array<{ code: string }> } | null;
  valueRange: { low: { value: number } | null; high: { value: number } | null } | null;
  valueRatio: { numerator: { value: number } | null; denominator: { value: number } | null } | null;
  valueDateTime: string | null;
  interpretation: string[];
  abnormal: boolean;
  critical: boolean;
  version: number;
  history: Array<{ version: number; status: string }>;
}

const LOINC = 'http://loinc.org';
const OBSERVATION = `id status code { coding { system code } } valueQuantity { value unit comparator } valueString
  valueCodeableConcept { coding { code } } valueRange { low { value } high { value } }
  valueRatio { numerator { value } denominator { value } } valueDateTime interpretation abnormal critical
  version history { version status }`;
const RECORD = `mutation Record($input: RecordLabResultsInput!) {
  recordLabResults(input: $input) { duplicate observations { id status version } } }`;
const mmol = (value: number) => ({
  value,
  unit: 'mmol/L',
  system: 'http://unitsofmeasure.org',
  code: 'mmol/L',
});
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

/**
 * A lab's results through the router: one batch of every value type, visible with its flags to the
 * patient and to their clinician; the same lab message again is a no-op; a corrected result becomes the
 * current version with the old one in its history; latestResults answers the newest per code; the front
 * desk reads none. Observation learns the patient and the care relationship from events.
 */
describe.each([
  ['embedded', embeddedSystem],
  ['real', realSystem],
])('lab results through the router (%s mode)', (_mode, start) => {
  let system: RunningSystem;
  const as = (role: Parameters<RunningSystem['as']>[0], links = {}) => system.as(role, links);
  const gql = async (headers: Record<string, string>, query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, headers);

  beforeAll(async () => {
    system = await start();
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  it('records a batch of every value type once, corrects it with history, and shows it to whom it may', async () => {
    const desk = await as('FRONT_DESK');
    const suffix = uniqueName('')
      .slice(-6)
      .replace(/[^a-z0-9]/g, 'x');
    const patient = dataOf<{ id: string }>(
      await gql(desk, 'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }', {
        input: {
          name: { given: ['Ines'], family: `Labor${suffix}` },
          birthDate: '1974-06-21',
          gender: 'FEMALE',
        },
      }),
      'registerPatient',
    );
    const doctor = dataOf<{ id: string }>(
      await gql(desk, 'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }', {
        input: {
          name: { given: ['Pavel'], family: `Labor${suffix}` },
          licenseNumber: uniqueName('LIC').replaceAll('_', '-'),
          specialties: ['General practice'],
          timeZone: 'Europe/Berlin',
          workingHours: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].map((weekday) => ({
            weekday,
            start: '00:00',
            end: '24:00',
          })),
          consultationFee: { amount: 5000, currency: 'EUR' },
        },
      }),
      'registerDoctor',
    );
    // An appointment makes the doctor one of the patient's clinicians (observation hears appointment.booked).
    const booked = await retryUnavailable(
      () =>
        gql(desk, 'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }', {
          input: {
            patientId: patient.id,
            doctorId: doctor.id,
            start: new Date(Date.now() + 2 * 86_400_000).toISOString(),
            durationMinutes: 15,
          },
        }),
      { attempts: 150, delayMs: 100 },
    );
    dataOf(booked, 'bookAppointment');

    const lab = await as('INTEGRATION');
    const source = { sendingFacility: 'CITYLAB', messageId: `MSG-${suffix}-1`, placerOrder: `ORD-${suffix}` };
    const effective = hoursAgo(2);
    const results = [
      { code: { system: LOINC, code: '2345-7' }, valueQuantity: mmol(7.8), interpretation: ['H'] },
      {
        code: { system: LOINC, code: '1988-5' },
        valueQuantity: { value: 5, unit: 'mg/L', comparator: '<' },
        interpretation: ['N'],
      },
      { code: { system: LOINC, code: '2823-3' }, valueQuantity: mmol(6.9), interpretation: ['HH'] },
      { code: { system: LOINC, code: '5778-6' }, valueString: 'straw' },
      {
        code: { system: LOINC, code: '883-9' },
        valueCoding: { system: 'http://snomed.info/sct', code: '112144000', display: 'Blood group A' },
      },
      {
        code: { system: LOINC, code: '2947-0' },
        valueRange: { low: mmol(130), high: mmol(133) },
        interpretation: ['L'],
      },
      {
        code: { system: LOINC, code: '5048-4' },
        valueRatio: { numerator: { value: 1 }, denominator: { value: 160 } },
        interpretation: ['N'],
      },
      { code: { system: LOINC, code: '8665-2' }, valueDateTime: '2026-01-15T08:00:00.000Z' },
      { code: { system: LOINC, code: '2093-3' }, status: 'CANCELLED' },
    ].map((result) => ({ status: 'FINAL', effective, ...result }));
    const batch = { patientId: patient.id, source, results };
    // The patient was registered a moment ago: observation may not have heard of them yet (retriable).
    const first = dataOf<{ duplicate: boolean; observations: Array<{ id: string; version: number }> }>(
      await retryUnavailable(() => gql(lab, RECORD, { input: batch }), { attempts: 150, delayMs: 100 }),
      'recordLabResults',
    );
    expect(first.duplicate).toBe(false);
    expect(first.observations).toHaveLength(results.length);

    const self = await as('PATIENT', { patientId: patient.id });
    const clinician = await as('CLINICIAN', { doctorId: doctor.id });
    const listOf = async (headers: Record<string, string>) => {
      const answer = await gql(
        headers,
        `query ($id: ID!) { patient(id: $id) { observations(first: 50) { totalCount edges { node { ${OBSERVATION} } } } } }`,
        { id: patient.id },
      );
      const connection = (answer.data?.patient as { observations: unknown } | null)?.observations as
        | { totalCount: number; edges: Array<{ node: Seen }> }
        | undefined;
      return { answer, connection };
    };
    const byCode = (nodes: Seen[]) => new Map(nodes.map((node) => [node.code.coding[0]?.code, node]));

    // The patient sees all of them, values and flags as sent.
    const mine = (await listOf(self)).connection;
    expect(mine?.totalCount).toBe(results.length);
    const seen = byCode(mine?.edges.map((edge) => edge.node) ?? []);
    expect(seen.get('2345-7')).toMatchObject({
      status: 'FINAL',
      valueQuantity: { value: 7.8, unit: 'mmol/L', comparator: null },
      interpretation: ['H'],
      abnormal: true,
      critical: false,
      version: 1,
      history: [],
    });
    expect(seen.get('1988-5')).toMatchObject({
      valueQuantity: { value: 5, unit: 'mg/L', comparator: '<' },
      abnormal: false,
      critical: false,
    });
    expect(seen.get('2823-3')).toMatchObject({ interpretation: ['HH'], abnormal: true, critical: true });
    expect(seen.get('5778-6')).toMatchObject({ valueString: 'straw', abnormal: false, critical: false });
    expect(seen.get('883-9')?.valueCodeableConcept).toEqual({ coding: [{ code: '112144000' }] });
    expect(seen.get('2947-0')).toMatchObject({
      valueRange: { low: { value: 130 }, high: { value: 133 } },
      abnormal: true,
      critical: false,
    });
    expect(seen.get('5048-4')?.valueRatio).toEqual({ numerator: { value: 1 }, denominator: { value: 160 } });
    expect(new Date(seen.get('8665-2')?.valueDateTime ?? 0).toISOString()).toBe('2026-01-15T08:00:00.000Z');
    expect(seen.get('2093-3')).toMatchObject({
      status: 'CANCELLED',
      valueQuantity: null,
      valueString: null,
      valueCodeableConcept: null,
      valueRange: null,
      valueRatio: null,
      valueDateTime: null,
      abnormal: false,
    });
    expect([...seen.values()].filter((node) => node.abnormal)).toHaveLength(3);

    // The clinician too, once the booking's care relationship has reached observation.
    await waitFor(async () => (await listOf(clinician)).connection?.totalCount === results.length, 30_000);
    expect((await listOf(clinician)).connection?.edges.map((edge) => edge.node)).toEqual(
      mine?.edges.map((edge) => edge.node),
    );

    // The same lab message again: answered as a duplicate with the same observations, nothing stored.
    const again = dataOf<{ duplicate: boolean; observations: Array<{ id: string }> }>(
      await gql(lab, RECORD, { input: batch }),
      'recordLabResults',
    );
    expect(again.duplicate).toBe(true);
    expect(again.observations.map((o) => o.id)).toEqual(first.observations.map((o) => o.id));
    expect((await listOf(self)).connection?.totalCount).toBe(results.length);

    // A CORRECTED result for the same order and code supersedes the glucose: same id, version 2.
    const glucoseId = seen.get('2345-7')?.id;
    const corrected = dataOf<{ duplicate: boolean; observations: Array<{ id: string; version: number }> }>(
      await gql(lab, RECORD, {
        input: {
          patientId: patient.id,
          source: { ...source, messageId: `MSG-${suffix}-2` },
          results: [{ ...results[0], status: 'CORRECTED', valueQuantity: mmol(5.4), interpretation: ['N'] }],
        },
      }),
      'recordLabResults',
    );
    expect(corrected).toEqual({
      duplicate: false,
      observations: [{ id: glucoseId, status: 'CORRECTED', version: 2 }],
    });
    // And the clinician corrects the potassium explicitly (a haemolysed sample), at its current version.
    const potassium = seen.get('2823-3') as Seen;
    const correction = {
      code: { system: LOINC, code: '2823-3' },
      status: 'CORRECTED',
      effective,
      valueQuantity: mmol(4.1),
      interpretation: ['N'],
    };
    const correct = (expectedVersion: number) =>
      gql(
        clinician,
        'mutation ($id: ID!, $v: Int!, $input: LabResultInput!) { correctObservation(id: $id, expectedVersion: $v, input: $input) { id version } }',
        { id: potassium.id, v: expectedVersion, input: correction },
      );
    expect(dataOf(await correct(1), 'correctObservation')).toEqual({ id: potassium.id, version: 2 });
    expect(errorCode(await correct(1))).toBe('CONFLICT'); // stale: version 2 is current

    const afterCorrections = byCode((await listOf(self)).connection?.edges.map((edge) => edge.node) ?? []);
    expect(afterCorrections.size).toBe(results.length); // corrections add versions, not observations
    expect(afterCorrections.get('2345-7')).toMatchObject({
      id: glucoseId,
      status: 'CORRECTED',
      valueQuantity: { value: 5.4 },
      abnormal: false,
      version: 2,
      history: [{ version: 1, status: 'FINAL' }],
    });
    expect(afterCorrections.get('2823-3')).toMatchObject({
      status: 'CORRECTED',
      valueQuantity: { value: 4.1 },
      critical: false,
      version: 2,
      history: [{ version: 1, status: 'FINAL' }],
    });

    // A newer glucose from a later order: latestResults picks it per code, the older stays in the list.
    const newer = dataOf<{ observations: Array<{ id: string }> }>(
      await gql(lab, RECORD, {
        input: {
          patientId: patient.id,
          source: {
            sendingFacility: 'CITYLAB',
            messageId: `MSG-${suffix}-3`,
            placerOrder: `ORD-${suffix}-B`,
          },
          results: [
            { ...results[0], effective: hoursAgo(1), valueQuantity: mmol(6.1), interpretation: ['N'] },
          ],
        },
      }),
      'recordLabResults',
    ).observations[0]?.id;
    const latest = await gql(
      self,
      'query ($id: ID!) { patient(id: $id) { latestResults(codes: ["2345-7", "2823-3", "2093-3"]) { id version valueQuantity { value } } } }',
      { id: patient.id },
    );
    const latestResults = (latest.data?.patient as { latestResults: unknown[] } | null)?.latestResults ?? [];
    // The cancelled cholesterol is left out.
    expect(latestResults).toHaveLength(2);
    expect(latestResults).toEqual(
      expect.arrayContaining([
        { id: newer, version: 1, valueQuantity: { value: 6.1 } },
        { id: potassium.id, version: 2, valueQuantity: { value: 4.1 } },
      ]),
    );
    expect((await listOf(self)).connection?.totalCount).toBe(results.length + 1);

    // The front desk reads no lab results; it records none either.
    expect(errorCode((await listOf(desk)).answer)).toBe('FORBIDDEN');
    expect(
      errorCode(
        await gql(desk, RECORD, { input: { ...batch, source: { ...source, messageId: `MSG-${suffix}-4` } } }),
      ),
    ).toBe('FORBIDDEN');
  }, 120_000);
});
