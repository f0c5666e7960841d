import { type AuditRecorded, type AuditRequest, auditTopic } from '@hsg/contracts';
import type { CloudEvent } from '@hsg/kit/events';
import { dataOf, type EventBackend, graphqlRequest, type TokenRequest, uniqueName } from '@hsg/testing';
import { useSubgraph } from '@hsg/testing/contracts';
import { describe, expect, it } from '@jest/globals';
import { v7 as uuidv7 } from 'uuid';
import { patientSubgraph } from '../src/subgraph.ts';

/**
 * ADR 0017 for the patient subgraph: every read and write of a patient, and every refusal, reaches the
 * audit topic as one `audit.recorded` event per request (through the outbox and its relay), none for a
 * request that touched no patient.
 */
export function describePatientAudit(makeBackend: () => EventBackend): void {
  const api = useSubgraph(patientSubgraph, makeBackend);

  /** A caller of their own (a fresh user id), so the events of a test are its own (the events' subject). */
  const caller = (role: TokenRequest['role'], link: Partial<TokenRequest> = {}) => ({
    role,
    userId: uuidv7(),
    ...link,
  });
  const as = async (who: TokenRequest, query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(api.url, query, variables, await api.keys.headersFor(who));

  const register = async (given: string) => {
    const response = await as(
      caller('FRONT_DESK'),
      'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      {
        input: {
          name: { given: [given], family: `Audit${uniqueName('').slice(-6)}` },
          birthDate: '1980-01-01',
          gender: 'UNKNOWN',
        },
      },
    );
    return dataOf<{ id: string }>(response, 'registerPatient').id;
  };

  /**
   * The caller's audit events, in order: everything they did, then one more request that always records (a
   * read of `marker`), so what came before is complete once its event arrived (one user's events share a
   * partition). The marker's own event is left out.
   */
  async function eventsUntilMarker(who: TokenRequest & { userId: string }, marker: string) {
    await as(who, 'query Marker($id: ID!) { patient(id: $id) { id } }', { id: marker });
    const seen: AuditRequest[] = [];
    let markerArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      markerArrived = resolve;
    });
    const consumer = await api.transport.consume({
      groupId: uniqueName('audit-check'),
      topics: [auditTopic],
      fromBeginning: true,
      onBatch: async (batch) => {
        for (const record of batch.records) {
          const event = JSON.parse(record.value) as CloudEvent<AuditRecorded>;
          batch.markProcessed(record);
          for (const request of event.data.requests) {
            if (request.userId !== who.userId) continue;
            if (request.operationName === 'Marker') markerArrived();
            else seen.push(request);
          }
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('the marker never arrived')), 20_000);
    });
    try {
      await Promise.race([arrived, timeout]);
    } finally {
      clearTimeout(timer);
      await consumer.stop();
    }
    return seen;
  }

  describe(`the patient subgraph audits patient data on ${api.backend.name} (ADR 0017)`, () => {
    it('records a registration and a search: who, role, the patient, the fields, one event per request', async () => {
      const desk = caller('FRONT_DESK');
      const marker = await register('Marker');
      const registered = await as(
        desk,
        'mutation Register($input: RegisterPatientInput!) { registerPatient(input: $input) { id mrn } }',
        {
          input: {
            name: { given: ['Ada'], family: `Audit${uniqueName('').slice(-6)}` },
            birthDate: '1990-01-31',
            gender: 'FEMALE',
          },
        },
      );
      const { id } = dataOf<{ id: string }>(registered, 'registerPatient');
      const other = await register('Other');
      await as(
        desk,
        `query Chart { a: patient(id: "${id}") { name { text } birthDate }
         b: patient(id: "${other}") { id } again: patient(id: "${id}") { gender } }`,
      );
      const events = await eventsUntilMarker(desk, marker);
      expect(events).toEqual([
        {
          subgraph: 'patient',
          userId: desk.userId,
          role: 'FRONT_DESK',
          operationName: 'Register',
          operationType: 'WRITE',
          at: expect.any(String),
          traceId: null,
          records: [
            {
              patientId: id,
              outcome: 'ALLOWED',
              fields: ['Patient.id', 'Patient.mrn'],
              rootFields: ['registerPatient'],
            },
          ],
        },
        expect.objectContaining({
          operationName: 'Chart',
          operationType: 'READ',
          records: [
            {
              patientId: id,
              outcome: 'ALLOWED',
              fields: ['Patient.birthDate', 'Patient.gender', 'Patient.name'],
              rootFields: ['patient'],
            },
            { patientId: other, outcome: 'ALLOWED', fields: ['Patient.id'], rootFields: ['patient'] },
          ].sort((x, y) => x.patientId.localeCompare(y.patientId)),
        }),
      ]);
    }, 60_000);

    it("records a patient's refused read and change of another's record as DENIED, and the change never happens", async () => {
      const [own, theirs, marker] = [
        await register('Own'),
        await register('Theirs'),
        await register('Marker'),
      ];
      const patient = caller('PATIENT', { patientId: own });
      const read = await as(
        patient,
        `{ mine: patient(id: "${own}") { birthDate } theirs: patient(id: "${theirs}") { birthDate } }`,
      );
      expect(read.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
      const change = await as(
        patient,
        `mutation Rename { updatePatient(id: "${theirs}", expectedVersion: 1, input: { phone: "+1 555" }) { id version } }`,
      );
      expect(change.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const events = await eventsUntilMarker({ ...patient, patientId: own }, marker);
      expect(events.map(({ operationType, records }) => ({ operationType, records }))).toEqual([
        {
          operationType: 'READ',
          records: [
            { patientId: own, outcome: 'ALLOWED', fields: ['Patient.birthDate'], rootFields: ['patient'] },
            { patientId: theirs, outcome: 'DENIED', fields: ['Patient.birthDate'], rootFields: ['patient'] },
          ].sort((x, y) => x.patientId.localeCompare(y.patientId)),
        },
        {
          operationType: 'WRITE',
          records: [
            {
              patientId: theirs,
              outcome: 'DENIED',
              fields: ['Patient.id', 'Patient.version'],
              rootFields: ['updatePatient'],
            },
          ],
        },
      ]);
    }, 60_000);

    it('records the entities the router asks for, and an integration refused all but id, mrn and active', async () => {
      const [first, marker] = [await register('First'), await register('Marker')];
      const desk = caller('FRONT_DESK');
      await as(
        desk,
        'query Ref__patient__1($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { name { text } } } }',
        {
          r: [{ __typename: 'Patient', id: first }],
        },
      );
      const lab = caller('INTEGRATION');
      const { mrn } = dataOf<{ mrn: string }>(
        await as(desk, `{ patient(id: "${first}") { mrn } }`),
        'patient',
      );
      await as(lab, 'query ($mrn: String!) { patientByMrn(mrn: $mrn) { id mrn birthDate } }', { mrn });
      expect(
        (await eventsUntilMarker(desk, marker)).map((event) => [event.operationName, event.records]),
      ).toEqual([
        [
          'Ref__patient__1',
          [{ patientId: first, outcome: 'ALLOWED', fields: ['Patient.name'], rootFields: ['_entities'] }],
        ],
        [null, [{ patientId: first, outcome: 'ALLOWED', fields: ['Patient.mrn'], rootFields: ['patient'] }]],
      ]);
      // The integration user's marker read is refused (patient(id) needs patients:read): still recorded.
      const labEvents = await eventsUntilMarker(lab, marker);
      expect(labEvents.map((event) => event.records)).toEqual([
        [
          {
            patientId: first,
            outcome: 'ALLOWED',
            fields: ['Patient.id', 'Patient.mrn'],
            rootFields: ['patientByMrn'],
          },
          {
            patientId: first,
            outcome: 'DENIED',
            fields: ['Patient.birthDate'],
            rootFields: ['patientByMrn'],
          },
        ],
      ]);
    }, 60_000);

    it('records nothing for a request that touched no patient', async () => {
      const desk = caller('FRONT_DESK');
      const marker = await register('Marker');
      await as(desk, '{ patient(id: "00000000-0000-4000-8000-000000000000") { id } }');
      await as(desk, `{ patients(filter: { name: "${uniqueName('nobody')}" }) { totalCount } }`);
      expect(await eventsUntilMarker(desk, marker)).toEqual([]);
    }, 60_000);
  });
}
