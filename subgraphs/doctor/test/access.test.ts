import { randomUUID } from 'node:crypto';
import type { Role } from '@hsg/kit/auth';
import {
  createTestKeys,
  embeddedLogBackend,
  type GraphQLResponse,
  graphqlRequest,
  type TestKeys,
  uniqueName,
} from '@hsg/testing';
import { useSubgraph } from '@hsg/testing/contracts';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { RegisterDoctorInput } from '../src/domain.ts';
import type { Doctor } from '../src/model.ts';
import { doctorSubgraph } from '../src/subgraph.ts';

/**
 * ADR 0016's rows for the doctor subgraph, written out rather than derived from scopesOf, so a change
 * to the roles' scopes that breaks the matrix fails here.
 */
const readers: readonly Role[] = ['ADMIN', 'FRONT_DESK', 'CLINICIAN', 'BILLING', 'PATIENT'];
const writers: readonly Role[] = ['FRONT_DESK'];

const roles = ['ADMIN', 'FRONT_DESK', 'CLINICIAN', 'BILLING', 'PATIENT', 'INTEGRATION'] as const;
const tokenless = ['no token', 'another key', 'expired token'] as const;
type Caller = (typeof roles)[number] | (typeof tokenless)[number];

/** Why a caller without a usable token is refused, as the kit says it. */
const unauthenticated: Record<(typeof tokenless)[number], string> = {
  'no token': 'Authentication required',
  'another key': 'The access token is not valid',
  'expired token': 'The access token has expired',
};

type Refusal = 'FORBIDDEN' | 'UNAUTHENTICATED';
type Path = Array<string | number>;

/** One operation sent once: what an allowed answer is, what a refused one is, and that a refusal wrote nothing. */
interface Sent {
  response: GraphQLResponse;
  expectAllowed(): void;
  /** The answer's data and the error's path when the field is refused. */
  refused(code: Refusal): { data: unknown; path: Path };
  /** Mutations: the refused change never happened. */
  expectUnchanged?(): Promise<void>;
}

const tag = () => uniqueName('').slice(-8);

describe('doctor access rules (ADR 0016)', () => {
  const api = useSubgraph(doctorSubgraph, embeddedLogBackend);
  let strangerKeys: TestKeys;
  let seen: Doctor;
  const specialty = `Access ${tag()}`;

  const input = (overrides: Partial<RegisterDoctorInput> = {}): RegisterDoctorInput => ({
    name: { given: ['Allison'], family: `Cameron${tag()}` },
    licenseNumber: `acc-${tag()}`,
    specialties: ['Immunology'],
    timeZone: 'Europe/Berlin',
    workingHours: [{ weekday: 'MON', start: '09:00', end: '17:00' }],
    consultationFee: { amount: 9000, currency: 'EUR' },
    ...overrides,
  });
  /** Set-up goes through the domain, so it needs no token and counts as no request. */
  const doctorFor = (overrides: Partial<RegisterDoctorInput> = {}) =>
    api.subgraph.domain.register(input(overrides));
  const stored = async (id: string) => (await api.subgraph.store.findByIds([id]))[0];
  const writes = () => api.calls('insert') + api.calls('update');

  beforeAll(async () => {
    strangerKeys = await createTestKeys('another-key');
    // The doctors every read asks for: two of a specialty of this suite's own, one of them inactive.
    seen = await doctorFor({ specialties: [specialty] });
    await api.subgraph.domain.deactivate((await doctorFor({ specialties: [specialty] })).id, 'retired');
  });

  const headersOf = (caller: Caller): Promise<Record<string, string>> => {
    const keys = api.keys;
    switch (caller) {
      case 'no token':
        return Promise.resolve({});
      case 'another key':
        return strangerKeys.headersFor({ role: 'FRONT_DESK' });
      case 'expired token':
        return keys.headersFor({ role: 'FRONT_DESK', expiresIn: -60 });
      case 'CLINICIAN':
        return keys.headersFor({ role: caller, doctorId: seen.id });
      case 'PATIENT':
        return keys.headersFor({ role: caller, patientId: randomUUID() });
      default:
        return keys.headersFor({ role: caller });
    }
  };
  const send = async (caller: Caller, query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(api.url, query, variables, await headersOf(caller));

  /** A root field refused as a whole: null, and data null too when the field is non-null. */
  const rootRefused = (field: string, nullable: boolean) => () => ({
    data: nullable ? { [field]: null } : null,
    path: [field],
  });

  const operations: Record<string, { allowed: readonly Role[]; send(caller: Caller): Promise<Sent> }> = {
    doctor: {
      allowed: readers,
      async send(caller) {
        const response = await send(caller, 'query ($id: ID!) { doctor(id: $id) { id name { text } } }', {
          id: seen.id,
        });
        return {
          response,
          expectAllowed: () =>
            expect(response).toEqual({
              data: { doctor: { id: seen.id, name: { text: `Allison ${seen.name.family}` } } },
            }),
          refused: rootRefused('doctor', true),
        };
      },
    },
    doctors: {
      allowed: readers,
      async send(caller) {
        const response = await send(
          caller,
          'query ($s: String) { doctors(filter: { specialty: $s }) { totalCount edges { node { id } } } }',
          { s: specialty },
        );
        return {
          response,
          expectAllowed: () => {
            const page = response.data?.doctors as { totalCount: number; edges: unknown[] };
            expect(response.errors).toBeUndefined();
            expect(page.totalCount).toBe(2);
            expect(page.edges).toHaveLength(2);
          },
          refused: rootRefused('doctors', false),
        };
      },
    },
    registerDoctor: {
      allowed: writers,
      async send(caller) {
        const mine = `Registered ${tag()}`;
        const before = writes();
        const response = await send(
          caller,
          'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id specialties } }',
          { input: input({ specialties: [mine] }) },
        );
        return {
          response,
          expectAllowed: () =>
            expect(response).toEqual({
              data: { registerDoctor: { id: expect.any(String), specialties: [mine] } },
            }),
          refused: rootRefused('registerDoctor', false),
          async expectUnchanged() {
            expect(writes()).toBe(before);
            expect(await api.subgraph.store.count({ specialty: mine })).toBe(0);
          },
        };
      },
    },
    updateDoctor: {
      allowed: writers,
      async send(caller) {
        const doctor = await doctorFor();
        const before = writes();
        const response = await send(
          caller,
          `mutation ($id: ID!) {
             updateDoctor(id: $id, expectedVersion: 1, input: { timeZone: "Asia/Tokyo" }) { id version timeZone } }`,
          { id: doctor.id },
        );
        return {
          response,
          expectAllowed: () =>
            expect(response).toEqual({
              data: { updateDoctor: { id: doctor.id, version: 2, timeZone: 'Asia/Tokyo' } },
            }),
          refused: rootRefused('updateDoctor', false),
          async expectUnchanged() {
            expect(writes()).toBe(before);
            expect(await stored(doctor.id)).toMatchObject({ version: 1, timeZone: 'Europe/Berlin' });
          },
        };
      },
    },
    deactivateDoctor: {
      allowed: writers,
      async send(caller) {
        const doctor = await doctorFor();
        const before = writes();
        const response = await send(
          caller,
          'mutation ($id: ID!) { deactivateDoctor(id: $id, reason: "left") { id active version } }',
          { id: doctor.id },
        );
        return {
          response,
          expectAllowed: () =>
            expect(response).toEqual({
              data: { deactivateDoctor: { id: doctor.id, active: false, version: 2 } },
            }),
          refused: rootRefused('deactivateDoctor', false),
          async expectUnchanged() {
            expect(writes()).toBe(before);
            expect(await stored(doctor.id)).toMatchObject({ version: 1, active: true });
          },
        };
      },
    },
    // How the router resolves Appointment.doctor: the type's rule holds for each entity.
    _entities: {
      allowed: readers,
      async send(caller) {
        const response = await send(
          caller,
          'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Doctor { id licenseNumber } } }',
          { r: [{ __typename: 'Doctor', id: seen.id }] },
        );
        return {
          response,
          expectAllowed: () =>
            expect(response).toEqual({
              data: { _entities: [{ id: seen.id, licenseNumber: seen.licenseNumber }] },
            }),
          // A principal without the scope: FORBIDDEN at the entity's index; no principal: the whole field.
          refused: (code) =>
            code === 'FORBIDDEN'
              ? { data: { _entities: [null] }, path: ['_entities', 0] }
              : { data: null, path: ['_entities'] },
        };
      },
    },
  };

  const matrix = Object.entries(operations).flatMap(([name, operation]) =>
    [...roles, ...tokenless].map((caller) => {
      const outcome =
        caller in unauthenticated
          ? 'UNAUTHENTICATED'
          : operation.allowed.includes(caller as Role)
            ? 'allowed'
            : 'FORBIDDEN';
      return [name, caller, outcome] as const;
    }),
  );

  it.each(matrix)('%s as %s: %s', async (name, caller, outcome) => {
    const sent = await (operations[name] as (typeof operations)[string]).send(caller);
    if (outcome === 'allowed') {
      sent.expectAllowed();
      return;
    }
    const { data, path } = sent.refused(outcome);
    const message =
      outcome === 'FORBIDDEN' ? 'Not allowed' : unauthenticated[caller as keyof typeof unauthenticated];
    expect(sent.response.data).toEqual(data);
    expect(sent.response.errors).toEqual([
      expect.objectContaining({ message, path, extensions: expect.objectContaining({ code: outcome }) }),
    ]);
    await sent.expectUnchanged?.();
  });

  it('refuses only the field: the rest of the answer stays', async () => {
    const query = `query ($id: ID!) { __typename doctor(id: $id) { id } _service { sdl } }`;
    for (const [caller, code] of [
      ['INTEGRATION', 'FORBIDDEN'],
      ['expired token', 'UNAUTHENTICATED'],
    ] as const) {
      const response = await send(caller, query, { id: seen.id });
      expect(response.data).toEqual({
        __typename: 'Query',
        doctor: null,
        _service: { sdl: expect.stringContaining('type Doctor') },
      });
      expect(response.errors).toEqual([
        expect.objectContaining({ path: ['doctor'], extensions: expect.objectContaining({ code }) }),
      ]);
    }
  });

  it('refuses each entity at its own index, and answers unknown ones null as before', async () => {
    const other = await doctorFor();
    const representations = [seen.id, randomUUID(), other.id].map((id) => ({ __typename: 'Doctor', id }));
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Doctor { id } } }';
    const denied = await send('INTEGRATION', query, { r: representations });
    expect(denied.data).toEqual({ _entities: [null, null, null] });
    expect(denied.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['_entities', 0], 'FORBIDDEN'],
      [['_entities', 2], 'FORBIDDEN'],
    ]);
    const allowed = await send('BILLING', query, { r: representations });
    expect(allowed).toEqual({ data: { _entities: [{ id: seen.id }, null, { id: other.id }] } });
  });

  it('has no row-level rule: every reader pages through the same doctors with the same totalCount', async () => {
    const pages = await Promise.all(
      readers.map(async (role) => {
        const response = await send(
          role,
          `query ($s: String, $after: String) { doctors(filter: { specialty: $s }, first: 1, after: $after) {
             totalCount edges { node { id active } } pageInfo { hasNextPage endCursor } } }`,
          { s: specialty },
        );
        return response.data?.doctors;
      }),
    );
    expect(new Set(pages.map((page) => JSON.stringify(page))).size).toBe(1);
    expect(pages[0]).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
  });
});
