import { type EventBackend, errorCode, type GraphQLResponse } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ValidateFunction } from 'ajv';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import type { Observation } from '../src/model.ts';
import { fhirObservationValidator } from './fhir-schema.ts';
import {
  everyValueType,
  messageId,
  OBSERVATION_FIELDS,
  patientReader,
  RECORD,
  record,
  recorded,
} from './fixtures.ts';
import { type Harness, startHarness } from './harness.ts';

const ruleOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.rule;
type Obs = Record<string, unknown> & { id: string; fhir: Record<string, unknown>; history: unknown[] };

/** Observation's public contract, its batches, corrections and projections, on each store + transport pair. */
export function describeObservationApi(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  let h: Harness;
  let validate: ValidateFunction;

  const read = async (patientId: string, id: string) =>
    (
      await h.as(
        patientReader(patientId),
        `query ($id: ID!) { observation(id: $id) { ${OBSERVATION_FIELDS} } }`,
        {
          id,
        },
      )
    ).data?.observation as Obs;
  const list = async (patientId: string, args = '') => {
    const response = await h.as(
      patientReader(patientId),
      `query ($p: ID!) { observations(patientId: $p${args}) { totalCount edges { cursor node { id status code { coding { code } } } } pageInfo { hasNextPage endCursor } } }`,
      { p: patientId },
    );
    expect(response.errors).toBeUndefined();
    return response.data?.observations as {
      totalCount: number;
      edges: Array<{ node: { id: string; status: string; code: { coding: Array<{ code: string }> } } }>;
      pageInfo: { hasNextPage: boolean; endCursor: string };
    };
  };
  /** A valid FHIR R4 Observation, with what the schema leaves optional and we always write. */
  const expectValidFhir = (fhir: Record<string, unknown>) => {
    expect(validate(fhir) ? [] : validate.errors).toEqual([]);
    expect(fhir).toMatchObject({
      resourceType: 'Observation',
      status: expect.any(String),
      code: { coding: [expect.objectContaining({ code: expect.any(String) })] },
      subject: { reference: expect.stringMatching(/^Patient\//) },
      issued: expect.any(String),
      meta: { versionId: expect.any(String) },
    });
  };

  beforeAll(async () => {
    h = await startHarness(backend);
    validate = fhirObservationValidator(); // seconds: once per suite
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await backend.dispose();
  }, 60_000);

  describe(`observation subgraph on ${backend.name}`, () => {
    it('records a batch of every value type as valid FHIR R4 Observations with flags and one event each', async () => {
      const { patientId } = await h.patient();
      const response = await record(h, {
        patientId,
        results: everyValueType(),
        source: { placerOrder: 'P-1' },
      });
      expect(response.errors).toBeUndefined();
      const { observations, duplicate } = recorded(response);
      expect(duplicate).toBe(false);
      expect(observations.map((o) => [o.status, o.version])).toEqual(
        everyValueType().map((result) => [result.status, 1]),
      );
      const stored = await Promise.all(observations.map((o) => read(patientId, o.id)));
      for (const observation of stored) {
        expectValidFhir(observation.fhir);
        expect(observation.patient).toEqual({ id: patientId });
      }
      const [low, high, text, coded, range, ratio, date, cancelled, pending] = stored as Obs[] as Array<
        Record<string, unknown>
      >;
      expect(low).toMatchObject({
        valueQuantity: { value: 5, comparator: '<', unit: 'mg/dL', system: 'http://unitsofmeasure.org' },
        interpretation: ['L'],
        abnormal: true,
        critical: false,
        effective: '2026-03-01T08:00:00.000Z',
        issued: '2026-03-02T09:00:00.000Z',
        referenceRange: [{ low: { value: 70 }, high: { value: 99 }, text: '70-99 mg/dL' }],
        category: [{ coding: [{ code: 'laboratory' }] }],
        source: { sendingFacility: 'LAB-A', placerOrder: 'P-1', fillerOrder: null },
        history: [],
      });
      expect(high).toMatchObject({
        valueQuantity: { value: 200, comparator: '>=' },
        abnormal: true,
        critical: true,
      });
      expect(text).toMatchObject({ valueString: 'Yellow', abnormal: false, critical: false });
      expect(coded).toMatchObject({
        valueCodeableConcept: { coding: [{ code: '10828004' }] },
        abnormal: true,
        critical: false,
      });
      expect(range).toMatchObject({ valueRange: { low: { value: 1 }, high: { value: 4 } }, abnormal: false });
      expect(ratio).toMatchObject({
        valueRatio: { numerator: { value: 1 }, denominator: { value: 128 } },
        critical: true,
      });
      expect(date).toMatchObject({ valueDateTime: '2026-02-14T00:00:00.000Z' });
      expect(cancelled).toMatchObject({
        status: 'CANCELLED',
        valueQuantity: null,
        note: 'Sample haemolysed',
      });
      expect(((cancelled?.fhir ?? {}) as Record<string, unknown>).dataAbsentReason).toBeDefined();
      expect(pending).toMatchObject({ status: 'REGISTERED', valueQuantity: null, valueString: null });
      expect(((pending?.fhir ?? {}) as Record<string, unknown>).status).toBe('registered');
      for (const o of observations)
        expect((await h.outbox(o.id)).map((event) => event.type)).toEqual(['observation.recorded']);
    });

    it('answers the same batch again with duplicate: true and stores nothing new, even when sent concurrently', async () => {
      const { patientId, mrn } = await h.patient();
      const input = {
        patientMrn: mrn,
        source: { sendingFacility: 'LAB-B', messageId: messageId() },
        results: everyValueType().slice(0, 3),
      };
      const first = await h.gql(RECORD, { input });
      const again = await h.gql(RECORD, { input });
      expect(recorded(first).duplicate).toBe(false);
      expect(recorded(again)).toEqual({ ...recorded(first), duplicate: true });
      const concurrent = { ...input, source: { sendingFacility: 'LAB-B', messageId: messageId() } };
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => h.gql(RECORD, { input: concurrent })),
      );
      expect(answers.map((answer) => answer.errors)).toEqual(answers.map(() => undefined));
      expect(answers.filter((answer) => !recorded(answer).duplicate)).toHaveLength(1);
      expect(new Set(answers.flatMap((answer) => recorded(answer).observations.map((o) => o.id))).size).toBe(
        3,
      );
      expect(await h.count('observations', 'patient_id', patientId)).toBe(6);
      const events = await Promise.all(
        recorded(answers[0] as GraphQLResponse).observations.map((o) => h.outbox(o.id)),
      );
      expect(events.map((list) => list.length)).toEqual([1, 1, 1]);
    });

    it('refuses a reused message id with other content (CONFLICT MESSAGE_ID_REUSED) and stores nothing', async () => {
      const { patientId } = await h.patient();
      const source = { sendingFacility: 'LAB-C', messageId: messageId() };
      await record(h, { patientId, source, results: everyValueType().slice(0, 1) });
      const reused = await record(h, { patientId, source, results: everyValueType().slice(1, 2) });
      expect([errorCode(reused), ruleOf(reused)]).toEqual(['CONFLICT', 'MESSAGE_ID_REUSED']);
      expect(await h.count('observations', 'patient_id', patientId)).toBe(1);
    });

    it('stores none of a batch when one result is invalid, or the transaction fails midway', async () => {
      const { patientId } = await h.patient();
      const bad = [
        ...everyValueType(),
        { code: { code: 'X' }, status: 'FINAL', valueString: 'a', valueQuantity: { value: 1 } },
      ];
      const refused = await record(h, { patientId, results: bad });
      expect([errorCode(refused), ruleOf(refused)]).toEqual(['BAD_USER_INPUT', 'MULTIPLE_VALUES']);
      // The store's own transaction: the first result is inserted, the second fails, nothing remains.
      const batch = messageId();
      const now = new Date();
      const first = (): Observation => {
        const id = uuidv7();
        const source = {
          sendingFacility: 'LAB-X',
          messageId: batch,
          placerOrder: null,
          fillerOrder: null,
          orderingProvider: null,
        };
        const code = { system: null, code: 'X', display: null };
        const fhir = { resourceType: 'Observation' as const, id };
        return {
          id,
          patientId,
          status: 'FINAL',
          code,
          effective: null,
          issued: now,
          abnormal: false,
          critical: false,
          source,
          version: 1,
          fhir,
          recordedAt: now,
          updatedAt: now,
        };
      };
      await expect(
        h.service.store.recordBatch(
          {
            sendingFacility: 'LAB-X',
            messageId: batch,
            contentHash: 'x',
            patientId,
            recordedAt: now,
            results: [0, 1].map((position) => ({
              position,
              build: () => {
                if (position === 1) throw new Error('midway');
                return first();
              },
            })),
            events: () => [],
          },
          () => new Error('conflict'),
        ),
      ).rejects.toThrow('midway');
      expect(await h.count('observations', 'patient_id', patientId)).toBe(0);
      expect(await h.count('lab_batches', 'patient_id', patientId)).toBe(0);
    });

    it.each([
      ['no results', { results: [] }, 'NO_RESULTS'],
      ['101 results', { results: Array.from({ length: 101 }, () => everyValueType()[0]) }, undefined],
      [
        'both patient references',
        { patientMrn: 'MRN-1', results: everyValueType().slice(0, 1) },
        'PATIENT_REFERENCE',
      ],
      [
        'a NUL byte',
        { results: [{ code: { code: 'X' }, status: 'FINAL', valueString: 'a\u0000b' }] },
        undefined,
      ],
      [
        'a huge string',
        { results: [{ code: { code: 'X' }, status: 'FINAL', valueString: 'x'.repeat(5000) }] },
        undefined,
      ],
      [
        'a bad comparator',
        { results: [{ code: { code: 'X' }, status: 'FINAL', valueQuantity: { value: 1, comparator: '~' } }] },
        'INVALID_COMPARATOR',
      ],
      [
        'a comparator in a range',
        {
          results: [
            { code: { code: 'X' }, status: 'FINAL', valueRange: { low: { value: 1, comparator: '<' } } },
          ],
        },
        'COMPARATOR_NOT_ALLOWED',
      ],
      ['a code with spaces around', { results: [{ code: { code: ' ' }, status: 'FINAL' }] }, 'INVALID_CODE'],
    ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_name, input, rule) => {
      const { patientId } = await h.patient();
      const response = await record(h, { patientId, ...(input as { results: unknown[] }) });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      if (rule) expect(ruleOf(response)).toBe(rule);
      expect(await h.count('observations', 'patient_id', patientId)).toBe(0);
    });

    it('refuses neither patient reference, NaN and Infinity', async () => {
      const neither = await h.gql(RECORD, {
        input: {
          source: { sendingFacility: 'L', messageId: messageId() },
          results: everyValueType().slice(0, 1),
        },
      });
      expect(ruleOf(neither)).toBe('PATIENT_REFERENCE');
      const { patientId } = await h.patient();
      const nan = await record(h, {
        patientId,
        results: [{ code: { code: 'X' }, status: 'FINAL', valueQuantity: { value: Number.NaN } }],
      });
      expect(errorCode(nan)).toBe('BAD_USER_INPUT'); // JSON has no NaN: null for a Float!
      const infinite = await h.gql(`mutation { recordLabResults(input: { patientId: "${patientId}",
        source: { sendingFacility: "L", messageId: "${messageId()}" },
        results: [{ code: { code: "X" }, status: FINAL, valueQuantity: { value: 1e999 } }] }) { duplicate } }`);
      expect(errorCode(infinite)).toBe('BAD_USER_INPUT');
      expect(await h.count('observations', 'patient_id', patientId)).toBe(0);
    });

    it('refuses an unknown patient or MRN (UNKNOWN_PATIENT), and answers UNAVAILABLE for one registered a moment ago', async () => {
      for (const reference of [
        { patientId: uuidv4() },
        { patientId: 'nope' },
        { patientMrn: 'MRN-NOBODY' },
      ]) {
        const response = await record(h, { ...reference, results: everyValueType().slice(0, 1) });
        expect([errorCode(response), ruleOf(response)]).toEqual(['BAD_USER_INPUT', 'UNKNOWN_PATIENT']);
      }
      const patientId = h.feed.newId();
      const early = await record(h, { patientId, results: everyValueType().slice(0, 1) });
      expect(errorCode(early)).toBe('UNAVAILABLE');
      expect(early.errors?.[0]?.extensions?.retriable).toBe(true);
      await h.applied((await h.feed.registerPatient(patientId)).id);
      expect(recorded(await record(h, { patientId, results: everyValueType().slice(0, 1) })).duplicate).toBe(
        false,
      );
    });

    it('makes a CORRECTED result for the same order and code the current version, the earlier in history', async () => {
      const { patientId } = await h.patient();
      const glucose = everyValueType()[0] as Record<string, unknown>;
      const first = recorded(
        await record(h, { patientId, source: { fillerOrder: 'F-9' }, results: [glucose] }),
      );
      const id = first.observations[0]?.id as string;
      const fix = {
        ...glucose,
        status: 'CORRECTED',
        valueQuantity: { value: 80, unit: 'mg/dL' },
        interpretation: ['N'],
      };
      const second = recorded(await record(h, { patientId, source: { fillerOrder: 'F-9' }, results: [fix] }));
      expect(second.observations).toEqual([{ id, status: 'CORRECTED', version: 2 }]);
      const current = await read(patientId, id);
      expect(current).toMatchObject({
        status: 'CORRECTED',
        version: 2,
        abnormal: false,
        valueQuantity: { value: 80 },
      });
      expect(current.history).toEqual([
        expect.objectContaining({
          version: 1,
          status: 'FINAL',
          fhir: expect.objectContaining({ status: 'final' }),
        }),
      ]);
      expectValidFhir(current.fhir);
      expect((await h.outbox(id)).map((event) => event.type)).toEqual([
        'observation.recorded',
        'observation.corrected',
      ]);
      expect((await list(patientId)).totalCount).toBe(1);

      const stale = await h.gql(
        `mutation ($id: ID!, $input: LabResultInput!) { correctObservation(id: $id, expectedVersion: 1, input: $input) { id } }`,
        { id, input: { ...fix, status: 'AMENDED' } },
      );
      expect(errorCode(stale)).toBe('CONFLICT');
      const amended = await h.gql(
        `mutation ($id: ID!, $input: LabResultInput!) { correctObservation(id: $id, expectedVersion: 2, input: $input) { id status version } }`,
        { id, input: { ...fix, status: 'AMENDED', valueQuantity: { value: 81 } } },
      );
      expect(amended.data?.correctObservation).toEqual({ id, status: 'AMENDED', version: 3 });
      const after = await read(patientId, id);
      expect(after.history.map((revision) => (revision as { version: number }).version)).toEqual([2, 1]);
      expect((after.fhir as { identifier: unknown }).identifier).toEqual(current.fhir.identifier);
      expectValidFhir(after.fhir);
    });

    it('lets a correction supersede a result of its own batch (written before it, in order)', async () => {
      const { patientId } = await h.patient();
      const [glucose, potassium] = everyValueType() as Array<Record<string, unknown>>;
      const fix = { ...glucose, status: 'CORRECTED', valueQuantity: { value: 80, unit: 'mg/dL' } };
      const batch = recorded(
        await record(h, { patientId, source: { fillerOrder: 'F-10' }, results: [glucose, potassium, fix] }),
      );
      const [first, other, corrected] = batch.observations;
      expect(corrected).toEqual({ id: first?.id, status: 'CORRECTED', version: 2 });
      expect(other?.id).not.toBe(first?.id);
      const current = await read(patientId, first?.id as string);
      expect(current).toMatchObject({ status: 'CORRECTED', version: 2, valueQuantity: { value: 80 } });
      expect(current.history).toEqual([expect.objectContaining({ version: 1, status: 'FINAL' })]);
      expect((await list(patientId)).totalCount).toBe(2);
    });

    it("gives each result its own order and orderer (a message's OBR groups), which a correction keeps", async () => {
      const { patientId } = await h.patient();
      const [glucose, potassium] = everyValueType() as Array<Record<string, unknown>>;
      const doctor = { identifier: 'LIC-4711', name: 'Dr Synthetic' };
      const response = await record(h, {
        patientId,
        source: { placerOrder: 'P-A' },
        results: [
          { ...glucose, orderingProvider: doctor },
          { ...potassium, placerOrder: 'P-B', fillerOrder: 'F-B' },
        ],
      });
      expect(response.errors).toBeUndefined();
      const [first, second] = recorded(response).observations.map((o) => o.id) as [string, string];
      const a = await read(patientId, first);
      const b = await read(patientId, second);
      expect(a.source).toMatchObject({ placerOrder: 'P-A', fillerOrder: null, orderingProvider: doctor });
      expect(b.source).toMatchObject({ placerOrder: 'P-B', fillerOrder: 'F-B', orderingProvider: null });
      // FHIR: the orderer is the requester of the contained order the result is based on.
      expectValidFhir(a.fhir);
      expect(a.fhir).toMatchObject({
        basedOn: [{ reference: '#order' }],
        contained: [{ resourceType: 'ServiceRequest', requester: { identifier: { value: 'LIC-4711' } } }],
      });
      expect(b.fhir.basedOn).toHaveLength(2);
      const [event] = await h.outbox(first);
      expect(JSON.stringify(event)).toContain(
        '"orderingProvider":{"identifier":"LIC-4711","name":"Dr Synthetic"}',
      );

      const refused = await h.gql(
        `mutation ($id: ID!, $input: LabResultInput!) { correctObservation(id: $id, expectedVersion: 1, input: $input) { id } }`,
        { id: first, input: { ...glucose, status: 'CORRECTED', placerOrder: 'P-Z' } },
      );
      expect(ruleOf(refused)).toBe('ORDER_IS_KEPT');
      const corrected = await h.gql(
        `mutation ($id: ID!, $input: LabResultInput!) { correctObservation(id: $id, expectedVersion: 1, input: $input) { version } }`,
        { id: first, input: { ...glucose, status: 'CORRECTED' } },
      );
      expect(corrected.errors).toBeUndefined();
      expect((await read(patientId, first)).source).toMatchObject({
        placerOrder: 'P-A',
        orderingProvider: doctor,
      });
    });

    it('hides an entered-in-error result from default lists and latestResults; a status filter shows it', async () => {
      const { patientId } = await h.patient();
      const [glucose] = recorded(
        await record(h, { patientId, results: everyValueType().slice(0, 2) }),
      ).observations;
      const mark = (version: number) =>
        h.gql(
          `mutation ($id: ID!, $v: Int!) { markObservationEnteredInError(id: $id, expectedVersion: $v, reason: "wrong patient") { status version } }`,
          { id: glucose?.id, v: version },
        );
      expect((await mark(1)).data?.markObservationEnteredInError).toEqual({
        status: 'ENTERED_IN_ERROR',
        version: 2,
      });
      expect(errorCode(await mark(2))).toBe('CONFLICT');
      expect((await list(patientId)).totalCount).toBe(1);
      const shown = await list(patientId, ', filter: { status: [ENTERED_IN_ERROR] }');
      expect(shown.edges.map((edge) => edge.node)).toEqual([
        expect.objectContaining({ id: glucose?.id, status: 'ENTERED_IN_ERROR' }),
      ]);
      const stored = await read(patientId, glucose?.id as string);
      expect(stored.fhir).toMatchObject({ status: 'entered-in-error' });
      expectValidFhir(stored.fhir);
      const latest = await h.as(
        patientReader(patientId),
        `{ _entities(representations: [{ __typename: "Patient", id: "${patientId}" }]) { ... on Patient { latestResults { id } } } }`,
      );
      const [entity] = (latest.data?._entities ?? []) as Array<{ latestResults: Array<{ id: string }> }>;
      expect(entity?.latestResults.map((item) => item.id)).not.toContain(glucose?.id);
      expect(entity?.latestResults).toHaveLength(1);
      expect(
        errorCode(
          await h.gql(
            `mutation { markObservationEnteredInError(id: "${uuidv4()}", expectedVersion: 1, reason: "x") { id } }`,
          ),
        ),
      ).toBe('NOT_FOUND');
    });

    it('filters by code, system, time, status and flags, pages newest first, and picks the latest per code', async () => {
      const { patientId } = await h.patient();
      const at = (day: number, value: number, interpretation: string[]) => ({
        code: { system: 'http://loinc.org', code: '2345-7' },
        status: 'FINAL',
        effective: `2026-02-0${day}T08:00:00.000Z`,
        valueQuantity: { value },
        interpretation,
      });
      await record(h, { patientId, results: [at(1, 90, ['N']), at(2, 150, ['H']), at(3, 400, ['HH'])] });
      await record(h, {
        patientId,
        results: [{ ...at(4, 5, []), code: { system: 'urn:local', code: 'K' } }],
      });
      const codes = async (args: string) =>
        (await list(patientId, args)).edges.map((edge) => edge.node.code.coding[0]?.code);
      expect((await list(patientId)).totalCount).toBe(4);
      expect(await codes(', filter: { code: "2345-7" }')).toHaveLength(3);
      expect(await codes(', filter: { system: "urn:local" }')).toEqual(['K']);
      expect(
        (await list(patientId, ', filter: { from: "2026-02-02T00:00:00Z", to: "2026-02-04T00:00:00Z" }'))
          .totalCount,
      ).toBe(2);
      expect((await list(patientId, ', filter: { abnormalOnly: true }')).totalCount).toBe(2);
      expect((await list(patientId, ', filter: { criticalOnly: true }')).totalCount).toBe(1);
      expect((await list(patientId, ', filter: { status: [PRELIMINARY] }')).totalCount).toBe(0);
      const page = await list(patientId, ', first: 3');
      expect(page.pageInfo.hasNextPage).toBe(true);
      const next = await list(patientId, `, first: 3, after: "${page.pageInfo.endCursor}"`);
      expect(next.edges.map((edge) => edge.node.code.coding[0]?.code)).toEqual(['2345-7']);
      const latest = await h.as(
        patientReader(patientId),
        `{ _entities(representations: [{ __typename: "Patient", id: "${patientId}" }]) { ... on Patient {
           all: latestResults { code { coding { code } } valueQuantity { value } }
           some: latestResults(codes: ["2345-7"]) { valueQuantity { value } } } } }`,
      );
      const [entity] = (latest.data?._entities ?? []) as Array<{ all: unknown[]; some: unknown[] }>;
      expect(entity?.all).toHaveLength(2);
      expect(entity?.some).toEqual([{ valueQuantity: { value: 400 } }]);
    });

    it('makes one store call per entity type per request, for 1 and for 10 parents', async () => {
      const doctorId = h.feed.newId();
      const patients: string[] = [];
      const observations: string[] = [];
      for (let index = 0; index < 10; index++) {
        const { patientId } = await h.patient(doctorId);
        patients.push(patientId);
        observations.push(
          ...recorded(await record(h, { patientId, results: everyValueType().slice(0, 2) })).observations.map(
            (o) => o.id,
          ),
        );
      }
      const query = `query ($p: [_Any!]!, $o: [_Any!]!) {
        patients: _entities(representations: $p) { ... on Patient {
          observations { totalCount edges { node { id history { version } } } } latestResults { id } } }
        observations: _entities(representations: $o) { ... on Observation { id code { text } } } }`;
      for (const count of [1, 10]) {
        h.calls.clear();
        const response = await h.as({ role: 'CLINICIAN', doctorId }, query, {
          p: patients.slice(0, count).map((id) => ({ __typename: 'Patient', id })),
          o: observations.slice(0, count).map((id) => ({ __typename: 'Observation', id })),
        });
        expect(response.errors).toBeUndefined();
        expect(((response.data?.observations ?? []) as unknown[]).length).toBe(count);
        expect(Object.fromEntries(h.calls)).toEqual({
          caredForBy: 1,
          listByPatients: 1,
          countByPatients: 1,
          latestByPatients: 1,
          revisionsOf: 1,
          observationsByIds: 1,
        });
      }
    }, 120_000);
  });
}
