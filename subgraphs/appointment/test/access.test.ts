import type { Role } from '@hsg/kit/auth';
import {
  createTestKeys,
  embeddedLogBackend,
  type GraphQLResponse,
  graphqlRequest,
  type TestKeys,
  type TokenRequest,
} from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { v4 as uuidv4 } from 'uuid';
import { berlin, type Harness, START, startHarness } from './harness.ts';

const roles = ['ADMIN', 'FRONT_DESK', 'CLINICIAN', 'BILLING', 'PATIENT', 'INTEGRATION'] as const;
const tokenless = ['no token', 'another key', 'expired token'] as const;
type Caller = Role | (typeof tokenless)[number];

/** Why a caller without a usable token is refused, as the kit says it. */
const unauthenticated: Record<(typeof tokenless)[number], string> = {
  'no token': 'Authentication required',
  'another key': 'The access token is not valid',
  'expired token': 'The access token has expired',
};

/**
 * The fixture: patient one and doctor one are the PATIENT's and the CLINICIAN's own records; each
 * patient has one visit with each doctor, on one day (`p2d1`: patient two with doctor one).
 */
type Visit = 'p1d1' | 'p2d1' | 'p1d2' | 'p2d2';
const denied = 'FORBIDDEN';
type Seen<T> = T | typeof denied;
type Outcome = Seen<'allowed'>;

// ADR 0016's rows for this subgraph, written out per role (not derived from the policies), for what
// belongs to patient/doctor one and to patient/doctor two.

/** `appointment(id)` and `_entities` of p1d1 and of p2d2. */
const byId: Record<Role, [Seen<Visit>, Seen<Visit>]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: ['p1d1', 'p2d2'],
  CLINICIAN: ['p1d1', denied],
  BILLING: [denied, denied],
  PATIENT: ['p1d1', denied],
  INTEGRATION: [denied, denied],
};
/** `appointments(filter: the day)`: every page and its totalCount. */
const listed: Record<Role, Seen<Visit[]>> = {
  ADMIN: denied,
  FRONT_DESK: ['p1d1', 'p2d1', 'p1d2', 'p2d2'],
  CLINICIAN: ['p1d1', 'p2d1'],
  BILLING: denied,
  PATIENT: ['p1d1', 'p1d2'],
  INTEGRATION: denied,
};
/** `Patient.appointments` of patient one and of patient two. */
const patientPages: Record<Role, [Seen<Visit[]>, Seen<Visit[]>]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: [
    ['p1d1', 'p1d2'],
    ['p2d1', 'p2d2'],
  ],
  CLINICIAN: [['p1d1'], ['p2d1']], // either patient's, narrowed to their visits with this clinician
  BILLING: [denied, denied],
  PATIENT: [['p1d1', 'p1d2'], denied],
  INTEGRATION: [denied, denied],
};
/** `Doctor.appointments` of doctor one and of doctor two. */
const doctorPages: Record<Role, [Seen<Visit[]>, Seen<Visit[]>]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: [
    ['p1d1', 'p2d1'],
    ['p1d2', 'p2d2'],
  ],
  CLINICIAN: [['p1d1', 'p2d1'], denied],
  BILLING: [denied, denied],
  PATIENT: [['p1d1'], ['p1d2']], // either doctor's, narrowed to the patient's own visits
  INTEGRATION: [denied, denied],
};
const slots: Record<Role, Outcome> = {
  ADMIN: denied,
  FRONT_DESK: 'allowed',
  CLINICIAN: 'allowed',
  BILLING: denied,
  PATIENT: 'allowed',
  INTEGRATION: denied,
};
/** Booking for patient one and for patient two; rescheduling and cancelling their appointments. */
const changes: Record<Role, [Outcome, Outcome]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: ['allowed', 'allowed'],
  CLINICIAN: [denied, denied],
  BILLING: [denied, denied],
  PATIENT: ['allowed', denied],
  INTEGRATION: [denied, denied],
};
/** Completing an appointment of doctor one and one of doctor two. */
const completions: Record<Role, [Outcome, Outcome]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: [denied, denied],
  CLINICIAN: ['allowed', denied],
  BILLING: [denied, denied],
  PATIENT: [denied, denied],
  INTEGRATION: [denied, denied],
};

const LIST_DAY = '2026-03-10';
const listFilter = { from: berlin(LIST_DAY, '00:00'), to: berlin('2026-03-11', '00:00') };
const CONNECTION = 'totalCount edges { node { id } }';
const BY_ID = `query ($mine: ID!, $theirs: ID!) {
  mine: appointment(id: $mine) { id } theirs: appointment(id: $theirs) { id } }`;
const LIST = `query ($filter: AppointmentFilter, $first: Int, $after: String) {
  appointments(filter: $filter, first: $first, after: $after) { ${CONNECTION} pageInfo { hasNextPage endCursor } } }`;
const ENTITIES = `query ($r: [_Any!]!, $filter: AppointmentFilter) { _entities(representations: $r) {
  ... on Appointment { id }
  ... on Patient { id appointments(filter: $filter) { ${CONNECTION} } }
  ... on Doctor { id appointments(filter: $filter) { ${CONNECTION} } } } }`;
const SLOTS = `query ($r: [_Any!]!) { _entities(representations: $r) {
  ... on Doctor { id availableSlots(date: "2026-03-09", durationMinutes: 30) { start } } } }`;
const BOOK = `mutation ($input: BookAppointmentInput!) {
  bookAppointment(input: $input) { patient { id } start status } }`;
const RESCHEDULE = `mutation ($id: ID!, $start: DateTime!) {
  rescheduleAppointment(id: $id, expectedVersion: 1, start: $start, durationMinutes: 30) { id start version } }`;
const CANCEL = 'mutation ($id: ID!) { cancelAppointment(id: $id) { id status version } }';
const COMPLETE = 'mutation ($id: ID!) { completeAppointment(id: $id) { id status version } }';

/** The errors' codes by path ("_entities.1.appointments"), so an answer is compared whole. */
const codesOf = (response: GraphQLResponse) =>
  Object.fromEntries(
    (response.errors ?? []).map((error) => [(error.path ?? []).join('.'), error.extensions?.code]),
  );

/** One field of an answer: its value when seen, else null and FORBIDDEN at its path. */
function field<T>(path: string, seen: Seen<T>, value: (allowed: T) => unknown) {
  return seen === denied
    ? { value: null, errors: { [path]: denied } }
    : { value: value(seen), errors: {} as Record<string, string> };
}

/** Free 30-minute starts of doctor one and two, Mon-Fri office hours from 2026-03-11: one per booking. */
function slotAllocator(): () => string {
  const days = ['11', '12', '13', '16', '17', '18', '19', '20'].map((day) => `2026-03-${day}`);
  const times = ['08', '09', '10', '11', '13', '14', '15', '16'].flatMap((hour) => [
    `${hour}:00`,
    `${hour}:30`,
  ]);
  const starts = days.flatMap((day) => times.map((time) => berlin(day, time)));
  let next = 0;
  return () => {
    const start = starts[next++];
    if (start === undefined) throw new Error('the suite ran out of free slots');
    return start;
  };
}

describe('appointment access rules (ADR 0016)', () => {
  const backend = embeddedLogBackend();
  let h: Harness;
  let stranger: TestKeys;
  let one: { patientId: string; doctorId: string };
  let two: { patientId: string; doctorId: string };
  const ids = {} as Record<Visit, string>;
  const slot = slotAllocator();

  beforeAll(async () => {
    h = await startHarness(backend);
    stranger = await createTestKeys('another-key');
    one = await h.parties();
    two = await h.parties();
    const visits: Array<[Visit, string, string, string]> = [
      ['p1d1', one.patientId, one.doctorId, '08:00'],
      ['p2d1', two.patientId, one.doctorId, '08:30'],
      ['p1d2', one.patientId, two.doctorId, '09:00'],
      ['p2d2', two.patientId, two.doctorId, '09:30'],
    ];
    for (const [visit, patientId, doctorId, time] of visits) {
      const start = berlin(LIST_DAY, time);
      ids[visit] = (await h.booked({ patientId, doctorId, start, durationMinutes: 30 })).id;
    }
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await backend.dispose();
  }, 60_000);

  const principal = (role: Role, link: { patientId?: string; doctorId?: string } = {}): TokenRequest => {
    if (role === 'PATIENT') return { role, patientId: one.patientId, ...link };
    if (role === 'CLINICIAN') return { role, doctorId: one.doctorId, ...link };
    return { role };
  };
  const headersOf = (caller: Caller): Promise<Record<string, string>> => {
    switch (caller) {
      case 'no token':
        return Promise.resolve({});
      case 'another key':
        return stranger.headersFor({ role: 'FRONT_DESK' });
      case 'expired token':
        return h.keys.headersFor({ role: 'FRONT_DESK', expiresIn: -60 });
      default:
        return h.keys.headersFor(principal(caller));
    }
  };
  const send = async (caller: Caller | TokenRequest, query: string, variables: Record<string, unknown>) =>
    graphqlRequest(
      h.service.url,
      query,
      variables,
      typeof caller === 'string' ? await headersOf(caller) : await h.keys.headersFor(caller),
    );
  const pageOf = (visits: Visit[]) => ({
    totalCount: visits.length,
    edges: visits.map((visit) => ({ node: { id: ids[visit] } })),
  });
  const writes = () => (h.calls.get('insert') ?? 0) + (h.calls.get('update') ?? 0);
  /** The appointment as a front desk sees it (h.gql sends as one). */
  const stateOf = async (id: string) =>
    (await h.gql('query ($id: ID!) { appointment(id: $id) { start status version } }', { id })).data
      ?.appointment;
  const bookFor = (party: { patientId: string; doctorId: string }) =>
    h.booked({ ...party, start: slot(), durationMinutes: 30 });

  it.each(roles)('appointment(id) as %s', async (role) => {
    const response = await send(role, BY_ID, { mine: ids.p1d1, theirs: ids.p2d2 });
    const [mine, theirs] = [
      field('mine', byId[role][0], (visit) => ({ id: ids[visit] })),
      field('theirs', byId[role][1], (visit) => ({ id: ids[visit] })),
    ];
    expect(response.data).toEqual({ mine: mine.value, theirs: theirs.value });
    expect(codesOf(response)).toEqual({ ...mine.errors, ...theirs.errors });
  });

  it.each(roles)('_entities of Appointment as %s (how the router resolves a reference)', async (role) => {
    const r = [ids.p1d1, ids.p2d2].map((id) => ({ __typename: 'Appointment', id }));
    const response = await send(role, ENTITIES, { r });
    const entities = byId[role].map((seen, index) =>
      field(`_entities.${index}`, seen, (visit) => ({ id: ids[visit] })),
    );
    expect(response.data).toEqual({ _entities: entities.map((entity) => entity.value) });
    expect(codesOf(response)).toEqual(Object.assign({}, ...entities.map((entity) => entity.errors)));
  });

  it.each(roles)(
    'appointments(filter) as %s: the page and totalCount hold only what it may see',
    async (role) => {
      const response = await send(role, LIST, { filter: listFilter });
      const seen = listed[role];
      if (seen === denied) {
        expect(response.data).toBeNull(); // a non-null root field refused
        expect(codesOf(response)).toEqual({ appointments: denied });
        return;
      }
      expect(response).toEqual({
        data: {
          appointments: { ...pageOf(seen), pageInfo: { hasNextPage: false, endCursor: expect.any(String) } },
        },
      });
    },
  );

  it.each([
    ['Patient', patientPages],
    ['Doctor', doctorPages],
  ] as const)('%s.appointments as each role', async (typename, pages) => {
    const parents = typename === 'Patient' ? [one.patientId, two.patientId] : [one.doctorId, two.doctorId];
    const r = parents.map((id) => ({ __typename: typename, id }));
    for (const role of roles) {
      const response = await send(role, ENTITIES, { r, filter: listFilter });
      const fields = pages[role].map((seen, index) => field(`_entities.${index}.appointments`, seen, pageOf));
      expect({ role, data: response.data }).toEqual({
        role,
        // A refused field leaves the rest of the entity (its id) answered.
        data: { _entities: parents.map((id, index) => ({ id, appointments: fields[index]?.value })) },
      });
      expect({ role, errors: codesOf(response) }).toEqual({
        role,
        errors: Object.assign({}, ...fields.map((entry) => entry.errors)),
      });
    }
  });

  it.each(roles)('Doctor.availableSlots as %s', async (role) => {
    const response = await send(role, SLOTS, { r: [{ __typename: 'Doctor', id: one.doctorId }] });
    const answer = field('_entities.0.availableSlots', slots[role], () =>
      expect.arrayContaining([{ start: berlin('2026-03-09', '08:00') }]),
    );
    expect(response.data).toEqual({ _entities: [{ id: one.doctorId, availableSlots: answer.value }] });
    expect(codesOf(response)).toEqual(answer.errors);
  });

  /** A refused mutation: data null (its field is non-null), FORBIDDEN, and nothing written. */
  async function expectRefused(response: GraphQLResponse, mutation: string, writesBefore: number) {
    expect(response.data).toBeNull();
    expect(codesOf(response)).toEqual({ [mutation]: denied });
    expect(writes()).toBe(writesBefore);
  }

  it.each(roles)('bookAppointment as %s, for patient one and for patient two', async (role) => {
    for (const [party, outcome] of [
      [one, changes[role][0]],
      [two, changes[role][1]],
    ] as const) {
      const start = slot();
      const before = writes();
      const response = await send(role, BOOK, { input: { ...party, start, durationMinutes: 30 } });
      if (outcome === denied) {
        await expectRefused(response, 'bookAppointment', before);
        const there = await h.gql(LIST, {
          filter: { from: start, to: new Date(Date.parse(start) + 60_000) },
        });
        expect(there.data?.appointments).toMatchObject({ totalCount: 0 });
      } else
        expect(response).toEqual({
          data: { bookAppointment: { patient: { id: party.patientId }, start, status: 'BOOKED' } },
        });
    }
  });

  it.each(roles)("rescheduleAppointment as %s, of patient one's and of patient two's", async (role) => {
    for (const [party, outcome] of [
      [one, changes[role][0]],
      [two, changes[role][1]],
    ] as const) {
      const target = await bookFor(party);
      const start = slot();
      const before = writes();
      const response = await send(role, RESCHEDULE, { id: target.id, start });
      if (outcome === denied) {
        await expectRefused(response, 'rescheduleAppointment', before);
        expect(await stateOf(target.id)).toEqual({ start: target.start, status: 'BOOKED', version: 1 });
      } else
        expect(response).toEqual({ data: { rescheduleAppointment: { id: target.id, start, version: 2 } } });
    }
  });

  it.each(roles)("cancelAppointment as %s, of patient one's and of patient two's", async (role) => {
    for (const [party, outcome] of [
      [one, changes[role][0]],
      [two, changes[role][1]],
    ] as const) {
      const target = await bookFor(party);
      const before = writes();
      const response = await send(role, CANCEL, { id: target.id });
      if (outcome === denied) {
        await expectRefused(response, 'cancelAppointment', before);
        expect(await stateOf(target.id)).toMatchObject({ status: 'BOOKED', version: 1 });
      } else
        expect(response).toEqual({
          data: { cancelAppointment: { id: target.id, status: 'CANCELLED', version: 2 } },
        });
    }
  });

  it.each(roles)("completeAppointment as %s, of doctor one's and of doctor two's", async (role) => {
    for (const [party, outcome] of [
      [one, completions[role][0]],
      [two, completions[role][1]],
    ] as const) {
      const target = await bookFor(party);
      h.setNow(new Date(Date.parse(target.start) + 10 * 60_000)); // under way: completable
      try {
        const before = writes();
        const response = await send(role, COMPLETE, { id: target.id });
        if (outcome === denied) {
          await expectRefused(response, 'completeAppointment', before);
          expect(await stateOf(target.id)).toMatchObject({ status: 'BOOKED', version: 1 });
        } else
          expect(response).toEqual({
            data: { completeAppointment: { id: target.id, status: 'COMPLETED', version: 2 } },
          });
      } finally {
        h.setNow(START);
      }
    }
  });

  it.each(tokenless)(
    '%s: every root field is UNAUTHENTICATED, saying why, and nothing changes',
    async (caller) => {
      const representations = [
        { __typename: 'Appointment', id: ids.p1d1 },
        { __typename: 'Patient', id: one.patientId },
        { __typename: 'Doctor', id: one.doctorId },
      ];
      const operations: Array<[string, string, Record<string, unknown>, unknown]> = [
        [
          'appointment',
          'query ($id: ID!) { appointment(id: $id) { id } }',
          { id: ids.p1d1 },
          { appointment: null },
        ],
        ['appointments', LIST, { filter: listFilter }, null],
        ['_entities', ENTITIES, { r: representations, filter: listFilter }, null],
        ['_entities', SLOTS, { r: representations.slice(2) }, null],
        ['bookAppointment', BOOK, { input: { ...one, start: slot(), durationMinutes: 30 } }, null],
        ['rescheduleAppointment', RESCHEDULE, { id: ids.p1d1, start: slot() }, null],
        ['cancelAppointment', CANCEL, { id: ids.p1d1 }, null],
        ['completeAppointment', COMPLETE, { id: ids.p1d1 }, null],
      ];
      const before = writes();
      for (const [root, query, variables, data] of operations) {
        const response = await send(caller, query, variables);
        expect({ root, response }).toEqual({
          root,
          response: {
            data,
            errors: [
              expect.objectContaining({
                message: unauthenticated[caller],
                path: [root],
                extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
              }),
            ],
          },
        });
      }
      expect(writes()).toBe(before);
      expect(await stateOf(ids.p1d1)).toMatchObject({ status: 'BOOKED', version: 1 });
    },
  );

  it('refuses only the field: the rest of the answer stays', async () => {
    const response = await send(
      'PATIENT',
      `query ($theirs: ID!, $filter: AppointmentFilter) {
         __typename appointment(id: $theirs) { id } appointments(filter: $filter) { totalCount } }`,
      { theirs: ids.p2d2, filter: listFilter },
    );
    expect(response.data).toEqual({
      __typename: 'Query',
      appointment: null,
      appointments: { totalCount: 2 },
    });
    expect(codesOf(response)).toEqual({ appointment: denied });
  });

  it.each([
    ['PATIENT', ['p1d1', 'p1d2']],
    ['CLINICIAN', ['p1d1', 'p2d1']],
  ] as const)('pages a %s only through its own, with their totalCount on every page', async (role, own) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 4; page++) {
      const response = await send(role, LIST, { filter: listFilter, first: 1, after });
      const connection = response.data?.appointments as {
        totalCount: number;
        edges: Array<{ node: { id: string } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      expect(connection.totalCount).toBe(own.length);
      seen.push(...connection.edges.map((edge) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(own.map((visit) => ids[visit]));
  });

  it('shows nothing to a patient or clinician whose token links no record', async () => {
    for (const role of ['PATIENT', 'CLINICIAN'] as const) {
      const unlinked = { role };
      const list = await send(unlinked, LIST, { filter: listFilter });
      expect(list.data?.appointments).toMatchObject({ totalCount: 0, edges: [] });
      const byIdResponse = await send(unlinked, BY_ID, { mine: ids.p1d1, theirs: ids.p2d2 });
      expect(codesOf(byIdResponse)).toEqual({ mine: denied, theirs: denied });
    }
    const malformed = await send({ role: 'PATIENT', patientId: 'not-a-uuid' }, LIST, { filter: listFilter });
    expect(malformed.data?.appointments).toMatchObject({ totalCount: 0 });
  });

  it('answers NOT_FOUND to a patient or clinician naming no appointment, as appointment(id) answers null', async () => {
    for (const id of [uuidv4(), 'nope']) {
      expect(codesOf(await send('PATIENT', CANCEL, { id }))).toEqual({ cancelAppointment: 'NOT_FOUND' });
      expect(codesOf(await send('PATIENT', RESCHEDULE, { id, start: slot() }))).toEqual({
        rescheduleAppointment: 'NOT_FOUND',
      });
      expect(codesOf(await send('CLINICIAN', COMPLETE, { id }))).toEqual({
        completeAppointment: 'NOT_FOUND',
      });
      expect(await send('PATIENT', BY_ID, { mine: id, theirs: id })).toEqual({
        data: { mine: null, theirs: null },
      });
    }
  });
});
