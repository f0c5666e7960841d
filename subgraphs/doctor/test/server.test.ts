import { silentLogger } from '@hsg/kit';
import { serveSubgraph } from '@hsg/kit/runtime';
import { sharedTestKeys } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Doctor } from '../src/model.ts';
import { type DoctorStore, doctorSubgraph } from '../src/subgraph.ts';

const ok = '0190a9f2-0000-7000-8000-000000000001';
const broken = '0190a9f2-0000-7000-8000-000000000002';

const doctor = (id: string): Doctor => ({
  id,
  name: { given: ['Lisa'], family: 'Cuddy' },
  licenseNumber: `LIC-${id.slice(-4)}`,
  specialties: ['Endocrinology'],
  timeZone: 'America/New_York',
  workingHours: [],
  consultationFee: { amount: 100, currency: 'USD' },
  active: true,
  version: 1,
  // An impossible stored value: its field fails to serialize, inside a list.
  createdAt: id === broken ? new Date(Number.NaN) : new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
});

/** A store that fails the way drivers do, so the server's error mapping shows without a database. */
const failingStore: DoctorStore = {
  findByIds: async (ids) => ids.map(doctor),
  count: async () => 0,
  search: async (filter) => {
    if (filter.name === 'down')
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:53306'), { code: 'ECONNREFUSED' });
    throw new Error('syntax error near "select * from doctors where secret"');
  },
  insert: async (saved) => saved,
  update: async () => undefined,
};

describe('doctor server error mapping (mercurius)', () => {
  let server: ReturnType<typeof serveSubgraph> | undefined;
  let url: string;
  let authorization: Record<string, string>;
  const post = async (query: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorization },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const keys = await sharedTestKeys();
    authorization = await keys.headersFor({ role: 'FRONT_DESK' });
    server = serveSubgraph(doctorSubgraph, {
      store: failingStore,
      logger: silentLogger(),
      auth: { jwks: keys.jwks },
    });
    url = `http://127.0.0.1:${await server.start(0)}/graphql`;
  });
  afterAll(() => server?.stop());

  it('keeps list indexes in error paths numeric, as the gateway needs to place entity errors', async () => {
    const response = await post(
      `{ _entities(representations: [{ __typename: "Doctor", id: "${ok}" }, { __typename: "Doctor", id: "${broken}" }]) {
         ... on Doctor { id createdAt } } }`,
    );
    expect(response).toMatchObject({
      status: 200,
      body: {
        data: { _entities: [{ id: ok }, null] },
        errors: [{ path: ['_entities', 1, 'createdAt'], extensions: { code: 'INTERNAL' } }],
      },
    });
  });

  it('hides an unexpected failure behind INTERNAL and a generic message', async () => {
    const response = await post('{ doctors { totalCount } }');
    expect(response).toEqual({
      status: 200,
      body: {
        data: null,
        errors: [
          {
            message: 'Internal server error',
            locations: [{ line: 1, column: 3 }],
            path: ['doctors'],
            extensions: { code: 'INTERNAL', retriable: false },
          },
        ],
      },
    });
  });

  it('answers a lost database connection with a retriable UNAVAILABLE', async () => {
    const response = await post('{ doctors(filter: { name: "down" }) { totalCount } }');
    expect(response.body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'UNAVAILABLE', retriable: true } }),
    ]);
  });
});
