import { type Role, roles } from '@hsg/kit/auth';
import {
  createTestKeys,
  dataOf,
  embeddedLogBackend,
  type GraphQLResponse,
  graphqlRequest,
  type TestKeys,
  uniqueName,
  waitFor,
} from '@hsg/testing';
import { useSubgraph } from '@hsg/testing/contracts';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { v7 as uuidv7 } from 'uuid';
import { patientSubgraph } from '../src/subgraph.ts';
import { createAppointmentFeed } from './appointment-feed.ts';

/**
 * ADR 0016's matrix for the patient subgraph, operation by operation, for every role, no token, a token
 * of another key and an expired one; then what a refusal leaves of an answer, the filtered lists, and the
 * clinicians' patients coming from appointment events through the projection.
 */
const api = useSubgraph(patientSubgraph, embeddedLogBackend);

type Caller = Role | 'no token' | 'another key' | 'expired';
const callers: Caller[] = [...roles, 'no token', 'another key', 'expired'];

/** A cell of the ADR's table: ✓ allowed, own = only the caller's rows, – FORBIDDEN, or only some fields. */
type Rule = '✓' | 'own' | '–' | 'id, mrn, active';
const row = (...rules: Rule[]) =>
  Object.fromEntries(roles.map((role, index) => [role, rules[index]])) as Record<Role, Rule>;

interface Fixture {
  id: string;
  mrn: string;
}
type Target = 'own' | 'other';
type Outcome = 'allowed' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'id, mrn, active';

const doctorId = uuidv7(); // the CLINICIAN's doctor record
const otherDoctorId = uuidv7();
const family = `Access${uniqueName('').slice(-6)}`;
let stranger: TestKeys;
/** PATIENT's own (A), unrelated to the clinician (B, booked with another doctor), the clinician's (C, E). */
const fixtures = {} as Record<'A' | 'B' | 'C' | 'E', Fixture>;

async function headersOf(caller: Caller, ownPatientId?: string): Promise<Record<string, string>> {
  if (caller === 'no token') return {};
  if (caller === 'another key') return stranger.headersFor({ role: 'FRONT_DESK' });
  if (caller === 'expired') return api.keys.headersFor({ role: 'FRONT_DESK', expiresIn: -60 });
  return api.keys.headersFor({
    role: caller,
    ...(caller === 'PATIENT' ? { patientId: ownPatientId ?? fixtures.A.id } : {}),
    ...(caller === 'CLINICIAN' ? { doctorId } : {}),
  });
}

const as = async (
  caller: Caller,
  query: string,
  variables?: Record<string, unknown>,
  ownPatientId?: string,
) => graphqlRequest(api.url, query, variables, await headersOf(caller, ownPatientId));
const asDoctor = async (id: string, query: string, variables?: Record<string, unknown>) =>
  graphqlRequest(api.url, query, variables, await api.keys.headersFor({ role: 'CLINICIAN', doctorId: id }));

/** Registers through the front desk; the fixtures' family is unique to this run, others sort elsewhere. */
async function register(given: string, familyName = `Other${family}`): Promise<Fixture> {
  const response = await as(
    'FRONT_DESK',
    'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id mrn } }',
    { input: { name: { given: [given], family: familyName }, birthDate: '1980-01-01', gender: 'UNKNOWN' } },
  );
  const patient = response.data?.registerPatient as Fixture | undefined;
  if (!patient) throw new Error(`registration failed: ${JSON.stringify(response.errors)}`);
  return patient;
}

/** What the front desk sees of a patient now: to tell whether a refused mutation changed anything. */
const current = async (id: string | undefined) =>
  (await as('FRONT_DESK', 'query ($id: ID!) { patient(id: $id) { version active } }', { id })).data
    ?.patient as { version: number; active: boolean };

const projection = () => api.subgraph.workers.careRelationships.stats();

/** Whether the CLINICIAN (or another doctor) is allowed `patient(id)` right now. */
const clinicianSees = async (patientId: string, doctor = doctorId) =>
  (await asDoctor(doctor, 'query ($id: ID!) { patient(id: $id) { id } }', { id: patientId })).data?.patient !=
  null;

beforeAll(async () => {
  stranger = await createTestKeys('another-key');
  fixtures.A = await register('A', family);
  fixtures.B = await register('B', family);
  fixtures.C = await register('C', family);
  fixtures.E = await register('E', family);
  const feed = createAppointmentFeed(api.transport);
  const cancelled = feed.booked(fixtures.E.id, doctorId);
  await feed.publish(
    feed.booked(fixtures.C.id, doctorId).event,
    feed.booked(fixtures.B.id, otherDoctorId).event,
    cancelled.event,
    feed.cancelled(cancelled.snapshot),
  );
  await waitFor(() => projection().processed >= 4);
});

interface Operation {
  name: string;
  rule: Record<Role, Rule>;
  /** Whom it is about (own: the caller's linked patient, other: someone else); none for lists and creation. */
  targets?(caller: Caller): Promise<Record<Target, Fixture>>;
  request(target: Fixture | undefined): [query: string, variables: Record<string, unknown>];
  /** The answer of an allowed call. */
  allowed(response: GraphQLResponse, target: Fixture | undefined, caller: Caller): void;
  /** After a refusal: nothing changed. */
  unchanged?(target: Fixture | undefined, variables: Record<string, unknown>): Promise<void>;
}

/** Reads: own is PATIENT's record (A) or one of the CLINICIAN's patients (C); other is B, nobody's. */
const readTargets = async (caller: Caller) => ({
  own: caller === 'CLINICIAN' ? fixtures.C : fixtures.A,
  other: fixtures.B,
});
/** Writes: fresh patients (PATIENT's token names its own), the CLINICIAN's own is C (always refused). */
const writeTargets = async (caller: Caller) => ({
  own: caller === 'CLINICIAN' ? fixtures.C : await register('Own'),
  other: await register('Other'),
});
/** The fixtures each role finds in `patients`. */
const visibleTo = (caller: Caller): Fixture[] =>
  caller === 'FRONT_DESK'
    ? [fixtures.A, fixtures.B, fixtures.C, fixtures.E]
    : caller === 'PATIENT'
      ? [fixtures.A]
      : caller === 'CLINICIAN'
        ? [fixtures.C, fixtures.E]
        : [];
const sortedIds = (patients: Array<{ id: string }>) => patients.map((patient) => patient.id).sort();
const patientsQuery = `query ($filter: PatientFilter, $after: String, $first: Int) {
  patients(filter: $filter, first: $first, after: $after) {
    totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`;

const operations: Operation[] = [
  //                   ADMIN FRONT_DESK CLINICIAN BILLING PATIENT INTEGRATION
  {
    name: 'patient(id)',
    rule: row('–', '✓', 'own', '–', 'own', '–'),
    targets: readTargets,
    request: (target) => [
      'query ($id: ID!) { patient(id: $id) { id mrn name { text } } }',
      { id: target?.id },
    ],
    allowed: (response, target) => expect(response.data?.patient).toMatchObject({ id: target?.id }),
  },
  {
    name: 'patientByMrn',
    rule: row('–', '✓', 'own', '–', 'own', 'id, mrn, active'),
    targets: readTargets,
    request: (target) => [
      'query ($mrn: String!) { patientByMrn(mrn: $mrn) { id mrn active email } }',
      { mrn: target?.mrn },
    ],
    allowed: (response, target) =>
      expect(response.data?.patientByMrn).toEqual({
        id: target?.id,
        mrn: target?.mrn,
        active: true,
        email: null,
      }),
  },
  {
    name: 'patients',
    rule: row('–', '✓', 'own', '–', 'own', '–'),
    request: () => [patientsQuery, { filter: { name: family } }],
    allowed: (response, _target, caller) => {
      const page = response.data?.patients as { totalCount: number; edges: Array<{ node: { id: string } }> };
      expect(sortedIds(page.edges.map((edge) => edge.node))).toEqual(sortedIds(visibleTo(caller)));
      expect(page.totalCount).toBe(visibleTo(caller).length);
    },
  },
  {
    name: 'registerPatient',
    rule: row('–', '✓', '–', '–', '–', '–'),
    request: () => [
      'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id mrn } }',
      {
        input: {
          mrn: `ACC-${uuidv7().slice(-12).toUpperCase()}`,
          name: { given: ['New'], family: `New${family}` },
          birthDate: '1990-01-01',
          gender: 'UNKNOWN',
        },
      },
    ],
    allowed: (response) => expect(response.data?.registerPatient).toMatchObject({ id: expect.any(String) }),
    async unchanged(_target, variables) {
      const { mrn } = variables.input as { mrn: string };
      const found = await as('FRONT_DESK', 'query ($mrn: String!) { patientByMrn(mrn: $mrn) { id } }', {
        mrn,
      });
      expect(found).toEqual({ data: { patientByMrn: null } });
    },
  },
  {
    name: 'updatePatient',
    rule: row('–', '✓', '–', '–', 'own', '–'),
    targets: writeTargets,
    request: (target) => [
      `mutation ($id: ID!) {
        updatePatient(id: $id, expectedVersion: 1, input: { phone: "+1 555 0100" }) { id version phone } }`,
      { id: target?.id },
    ],
    allowed: (response, target) =>
      expect(response.data?.updatePatient).toEqual({ id: target?.id, version: 2, phone: '+1 555 0100' }),
    async unchanged(target) {
      expect(await current(target?.id)).toEqual({ version: 1, active: true });
    },
  },
  {
    name: 'deactivatePatient',
    rule: row('–', '✓', '–', '–', '–', '–'),
    targets: writeTargets,
    request: (target) => [
      'mutation ($id: ID!) { deactivatePatient(id: $id) { id active } }',
      { id: target?.id },
    ],
    allowed: (response, target) =>
      expect(response.data?.deactivatePatient).toEqual({ id: target?.id, active: false }),
    async unchanged(target) {
      expect(await current(target?.id)).toEqual({ version: 1, active: true });
    },
  },
  {
    name: '_entities (Patient)',
    rule: row('–', '✓', 'own', '–', 'own', '–'),
    targets: readTargets,
    request: (target) => [
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { id mrn } } }',
      { r: [{ __typename: 'Patient', id: target?.id }] },
    ],
    allowed: (response, target) =>
      expect(response.data?._entities).toEqual([{ id: target?.id, mrn: target?.mrn }]),
  },
];

function outcomeOf(rule: Rule | undefined, target: Target): Outcome {
  if (rule === undefined) return 'UNAUTHENTICATED'; // not a role: no principal
  if (rule === '✓') return 'allowed';
  if (rule === 'id, mrn, active') return rule;
  return rule === 'own' && target === 'own' ? 'allowed' : 'FORBIDDEN';
}

const codesAndPaths = (response: GraphQLResponse) =>
  response.errors?.map((error) => [error.extensions?.code, error.path]);

describe('the access matrix of the patient subgraph (ADR 0016)', () => {
  const cases = operations.flatMap((operation) =>
    callers.map((caller) => {
      const rule = (operation.rule as Partial<Record<Caller, Rule>>)[caller];
      return [operation.name, caller, rule ?? 'no principal', operation, rule] as const;
    }),
  );

  it.each(cases)('%s as %s: %s', async (_name, caller, _label, operation, rule) => {
    const field = operation.name.replace(/[ (].*$/, '');
    const targets = await operation.targets?.(caller);
    for (const target of targets ? (['own', 'other'] as const) : (['own'] as const)) {
      const fixture = targets?.[target];
      const [query, variables] = operation.request(fixture);
      const response = await as(caller, query, variables, targets?.own.id);
      const expected = outcomeOf(rule, target);
      const where = `${operation.name} as ${caller} on ${target}`;
      if (expected === 'allowed') {
        expect({ where, errors: response.errors }).toEqual({ where, errors: undefined });
        operation.allowed(response, fixture, caller);
      } else if (expected === 'id, mrn, active') {
        // The query asks for email too: FORBIDDEN there, the rest answered.
        expect(response.data?.[field]).toEqual({
          id: fixture?.id,
          mrn: fixture?.mrn,
          active: true,
          email: null,
        });
        expect(codesAndPaths(response)).toEqual([['FORBIDDEN', [field, 'email']]]);
      } else {
        const path = field === '_entities' && expected === 'FORBIDDEN' ? [field, 0] : [field];
        expect({ where, errors: codesAndPaths(response) }).toEqual({ where, errors: [[expected, path]] });
        const value = response.data?.[field] ?? null;
        expect(Array.isArray(value) ? value[0] : value).toBeNull(); // _entities: the entity at its index
        if (caller === 'another key')
          expect(response.errors?.[0]?.message).toBe('The access token is not valid');
        if (caller === 'expired') expect(response.errors?.[0]?.message).toBe('The access token has expired');
        await operation.unchanged?.(fixture, variables);
      }
    }
  });
});

describe('what a refusal leaves of an answer', () => {
  it("answers a patient's own record beside a FORBIDDEN one of someone else", async () => {
    const response = await as(
      'PATIENT',
      'query ($a: ID!, $b: ID!) { mine: patient(id: $a) { id } theirs: patient(id: $b) { id } }',
      { a: fixtures.A.id, b: fixtures.B.id },
    );
    expect(response.data).toEqual({ mine: { id: fixtures.A.id }, theirs: null });
    expect(response.errors).toEqual([
      expect.objectContaining({
        path: ['theirs'],
        extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
      }),
    ]);
  });

  it("refuses the router a patient entity that is not the clinician's, at its index only", async () => {
    const response = await as(
      'CLINICIAN',
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { id name { text } } } }',
      { r: [fixtures.C, fixtures.B, fixtures.E].map(({ id }) => ({ __typename: 'Patient', id })) },
    );
    expect(
      dataOf<Array<{ id: string } | null>>(response, '_entities').map((entity) => entity?.id ?? null),
    ).toEqual([fixtures.C.id, null, fixtures.E.id]);
    expect(response.errors).toEqual([
      expect.objectContaining({
        path: ['_entities', 1],
        extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
      }),
    ]);
  });

  it('gives an integration id, mrn and active of a patient by MRN, and FORBIDDEN for any other field', async () => {
    const response = await as(
      'INTEGRATION',
      `query ($mrn: String!) {
        found: patientByMrn(mrn: $mrn) { id mrn active }
        withPhone: patientByMrn(mrn: $mrn) { id phone }
        withName: patientByMrn(mrn: $mrn) { id name { text } }
      }`,
      { mrn: fixtures.A.mrn },
    );
    // A denied nullable field is null; a denied non-null one (name) nulls its patient, as GraphQL does.
    expect(response.data).toEqual({
      found: { id: fixtures.A.id, mrn: fixtures.A.mrn, active: true },
      withPhone: { id: fixtures.A.id, phone: null },
      withName: null,
    });
    expect(response.errors?.map((error) => [error.extensions?.code, error.path]).sort()).toEqual([
      ['FORBIDDEN', ['withName', 'name']],
      ['FORBIDDEN', ['withPhone', 'phone']],
    ]);
  });
});

describe('lists hold only what the caller may see', () => {
  const pageThrough = async (caller: Caller, filter: Record<string, unknown>) => {
    const ids: string[] = [];
    const totals: number[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const response = await as(caller, patientsQuery, { filter, after, first: 1 });
      const result = response.data?.patients as {
        totalCount: number;
        edges: Array<{ node: { id: string } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
      expect(response.errors).toBeUndefined();
      ids.push(...result.edges.map((edge) => edge.node.id));
      totals.push(result.totalCount);
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
    return { ids: ids.sort(), totals: [...new Set(totals)] };
  };

  it.each(['FRONT_DESK', 'CLINICIAN', 'PATIENT'] as const)(
    'pages and counts only the patients %s may see',
    async (caller) => {
      const expected = sortedIds(visibleTo(caller));
      expect(await pageThrough(caller, { name: family })).toEqual({
        ids: expected,
        totals: [expected.length],
      });
    },
  );

  it('counts a clinician and a patient their own even without a filter', async () => {
    expect(await pageThrough('CLINICIAN', {})).toEqual({
      ids: sortedIds(visibleTo('CLINICIAN')),
      totals: [2],
    });
    expect(await pageThrough('PATIENT', {})).toEqual({ ids: [fixtures.A.id], totals: [1] });
  });
});

describe("a clinician's patients come from the appointment events", () => {
  it('shows a clinician a patient once their booking is projected, and keeps them after a cancellation', async () => {
    const patient = await register('F');
    expect(await clinicianSees(patient.id)).toBe(false);
    const feed = createAppointmentFeed(api.transport);
    const { snapshot, event: booked } = feed.booked(patient.id, doctorId);
    await feed.publish(booked);
    // Projection lag: until the event is applied the clinician is refused (FORBIDDEN), then allowed.
    await waitFor(() => clinicianSees(patient.id));
    const before = projection();
    await feed.publish(booked, feed.cancelled(snapshot)); // the booking redelivered: the inbox skips it
    await waitFor(() => {
      const now = projection();
      return now.duplicates > before.duplicates && now.processed > before.processed;
    });
    expect(await clinicianSees(patient.id)).toBe(true);
    expect(await clinicianSees(patient.id, otherDoctorId)).toBe(false);
    expect(projection().invalid).toBe(0);
  });
});
