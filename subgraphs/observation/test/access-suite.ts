import { type AuditRecorded, auditTopic } from '@hsg/contracts';
import type { Role } from '@hsg/kit/auth';
import type { CloudEvent } from '@hsg/kit/events';
import { type EventBackend, errorCode, type GraphQLResponse, type TokenRequest } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { v7 as uuidv7 } from 'uuid';
import { everyValueType, record, recorded } from './fixtures.ts';
import { type Harness, startHarness } from './harness.ts';

const roles = ['ADMIN', 'FRONT_DESK', 'CLINICIAN', 'BILLING', 'PATIENT', 'INTEGRATION'] as const;
const denied = 'FORBIDDEN';
type Seen = 'allowed' | typeof denied;

// Issue 14's rows, written out per role (not derived from the policies), for patient one (the PATIENT's
// own, the CLINICIAN's cared-for) and patient two (neither's).
const reads: Record<Role, [Seen, Seen]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: [denied, denied],
  CLINICIAN: ['allowed', denied],
  BILLING: [denied, denied],
  PATIENT: ['allowed', denied],
  INTEGRATION: [denied, denied],
};
const records: Record<Role, Seen> = {
  ADMIN: denied,
  FRONT_DESK: denied,
  CLINICIAN: denied,
  BILLING: denied,
  PATIENT: denied,
  INTEGRATION: 'allowed',
};
const corrects: Record<Role, [Seen, Seen]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: [denied, denied],
  CLINICIAN: ['allowed', denied],
  BILLING: [denied, denied],
  PATIENT: [denied, denied],
  INTEGRATION: ['allowed', 'allowed'],
};

const outcome = (response: GraphQLResponse, field: string): string => {
  if (response.errors) return errorCode(response) ?? 'error';
  return (response.data as Record<string, unknown> | undefined)?.[field] ? 'allowed' : 'null';
};

/** Who may read, record and correct lab results, and what the audit trail says of it. */
export function describeObservationAccess(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  let h: Harness;
  const doctorId = uuidv7();
  const patients: [string, string] = ['', ''];
  const caller = (role: Role): TokenRequest & { userId: string } => ({
    role,
    userId: uuidv7(),
    ...(role === 'PATIENT' ? { patientId: patients[0] } : {}),
    ...(role === 'CLINICIAN' ? { doctorId } : {}),
  });
  /** A fresh result of the patient, recorded by the integration. */
  const fresh = async (patientId: string) =>
    recorded(await record(h, { patientId, results: everyValueType().slice(0, 1) })).observations[0]
      ?.id as string;
  const auditOf = async (userId: string) =>
    (
      await h.db
        .selectFrom('kit_outbox')
        .select(['payload'])
        .where('topic', '=', auditTopic)
        .orderBy('seq')
        .execute()
    ).flatMap((row) =>
      (JSON.parse(row.payload) as CloudEvent<AuditRecorded>).data.requests.filter(
        (request) => request.userId === userId,
      ),
    );

  beforeAll(async () => {
    h = await startHarness(backend);
    patients[0] = (await h.patient(doctorId)).patientId;
    patients[1] = (await h.patient()).patientId;
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await backend.dispose();
  }, 60_000);

  describe(`observation access rules on ${backend.name}`, () => {
    it.each(roles)(
      '%s: observation(id), observations(patientId), Patient.observations, recordLabResults, corrections',
      async (role) => {
        const who = caller(role);
        const ids = [await fresh(patients[0]), await fresh(patients[1])];
        const byId = await Promise.all(
          ids.map((id) => h.as(who, `{ observation(id: "${id}") { id code { coding { code } } fhir } }`)),
        );
        expect(byId.map((response) => outcome(response, 'observation'))).toEqual(reads[role]);
        const listed = await Promise.all(
          patients.map((id) =>
            h.as(who, `{ observations(patientId: "${id}") { totalCount edges { node { id } } } }`),
          ),
        );
        expect(listed.map((response) => outcome(response, 'observations'))).toEqual(reads[role]);
        const ofPatient = await Promise.all(
          patients.map((id) =>
            h.as(
              who,
              `{ _entities(representations: [{ __typename: "Patient", id: "${id}" }]) { ... on Patient { observations { totalCount } latestResults { id } } } }`,
            ),
          ),
        );
        expect(ofPatient.map((response) => errorCode(response) ?? 'allowed')).toEqual(reads[role]);
        const entity = await h.as(
          who,
          `{ _entities(representations: [{ __typename: "Observation", id: "${ids[1]}" }]) { ... on Observation { id status } } }`,
        );
        expect(errorCode(entity) ?? 'allowed').toBe(reads[role][1]);

        const recordedBy = await h.as(
          who,
          'mutation ($input: RecordLabResultsInput!) { recordLabResults(input: $input) { duplicate observations { id status version } } }',
          {
            input: {
              patientId: patients[0],
              source: { sendingFacility: 'LAB', messageId: uuidv7() },
              results: everyValueType().slice(0, 1),
            },
          },
        );
        expect(outcome(recordedBy, 'recordLabResults')).toBe(records[role]);

        for (const [index, id] of ids.entries()) {
          const corrected = await h.as(
            who,
            'mutation ($id: ID!, $input: LabResultInput!) { correctObservation(id: $id, expectedVersion: 1, input: $input) { id version } }',
            { id, input: { ...everyValueType()[0], status: 'CORRECTED' } },
          );
          expect(outcome(corrected, 'correctObservation')).toBe(corrects[role][index]);
          const marked = await h.as(
            who,
            `mutation { markObservationEnteredInError(id: "${id}", expectedVersion: ${corrects[role][index] === 'allowed' ? 2 : 1}, reason: "mix-up") { id status } }`,
          );
          expect(outcome(marked, 'markObservationEnteredInError')).toBe(corrects[role][index]);
        }
      },
      60_000,
    );

    it("lets INTEGRATION read only id, status and version of its mutation's answer", async () => {
      const response = await h.as(
        caller('INTEGRATION'),
        'mutation ($input: RecordLabResultsInput!) { recordLabResults(input: $input) { observations { id valueQuantity { value } patient { id } } } }',
        {
          input: {
            patientId: patients[1],
            source: { sendingFacility: 'LAB', messageId: uuidv7() },
            results: everyValueType().slice(0, 1),
          },
        },
      );
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual([denied, denied]);
    });

    it('lists only what the caller may see: a PATIENT their own, a CLINICIAN their patients', async () => {
      const clinician = await h.as(
        caller('CLINICIAN'),
        `{ a: observations(patientId: "${patients[0]}") { totalCount } }`,
      );
      const total = ((clinician.data?.a ?? {}) as { totalCount: number }).totalCount;
      const patient = await h.as(
        caller('PATIENT'),
        `{ a: observations(patientId: "${patients[0]}") { totalCount } }`,
      );
      expect(((patient.data?.a ?? {}) as { totalCount: number }).totalCount).toBe(total);
      expect(total).toBeGreaterThan(0);
    });

    it('records reads, refusals and writes of lab results with their patient (ADR 0017)', async () => {
      const [mine, theirs] = [await fresh(patients[0]), await fresh(patients[1])];
      const patient = caller('PATIENT');
      await h.as(
        patient,
        `query Mine { a: observation(id: "${mine}") { id status } b: observation(id: "${theirs}") { id } }`,
      );
      const sorted = <T extends { patientId: string | null }>(list: T[]) =>
        [...list].sort((a, b) => String(a.patientId).localeCompare(String(b.patientId)));
      expect((await auditOf(patient.userId)).map((request) => sorted(request.records))).toEqual([
        sorted([
          {
            patientId: patients[0],
            outcome: 'ALLOWED',
            fields: ['Observation.id', 'Observation.status'],
            rootFields: ['observation'],
          },
          {
            patientId: patients[1],
            outcome: 'DENIED',
            fields: ['Observation.id'],
            rootFields: ['observation'],
          },
        ]),
      ]);
      const lab = caller('INTEGRATION');
      await h.as(
        lab,
        'mutation Lab($input: RecordLabResultsInput!) { recordLabResults(input: $input) { observations { id } } }',
        {
          input: {
            patientId: patients[1],
            source: { sendingFacility: 'LAB', messageId: uuidv7() },
            results: everyValueType().slice(0, 1),
          },
        },
      );
      // The WRITE commits with the batch, before the answer resolves: it names the root's selection.
      expect(
        (await auditOf(lab.userId)).map((request) => [
          request.operationName,
          request.operationType,
          request.records,
        ]),
      ).toEqual([
        [
          'Lab',
          'WRITE',
          [
            {
              patientId: patients[1],
              outcome: 'ALLOWED',
              fields: ['RecordLabResultsPayload.observations'],
              rootFields: ['recordLabResults'],
            },
          ],
        ],
      ]);
      const desk = caller('FRONT_DESK');
      await h.as(desk, `query Peek { observations(patientId: "${patients[1]}") { totalCount } }`);
      expect(
        (await auditOf(desk.userId)).map((request) => request.records.map((r) => [r.patientId, r.outcome])),
      ).toEqual([[[patients[1], 'DENIED']]]);
    }, 60_000);
  });
}
