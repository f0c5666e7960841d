import { patientTopic } from '@hsg/contracts';
import { collectEvents, type EventBackend, errorCode, graphqlRequest, uniqueName } from '@hsg/testing';
import { expectBatchedReferences, expectPagingRules, useSubgraph } from '@hsg/testing/contracts';
import { describe, expect, it } from '@jest/globals';
import { patientSubgraph } from '../src/subgraph.ts';

const PATIENT_FIELDS =
  'id mrn name { given family text } birthDate gender email phone address { line city postalCode country } active version createdAt updatedAt';

/**
 * The patient subgraph's public contract, run on each store + transport pair (PGlite + log, Postgres +
 * Kafka), as the front desk.
 */
export function describePatientApi(makeBackend: () => EventBackend): void {
  const api = useSubgraph(patientSubgraph, makeBackend);

  // The front desk: the role that may do everything this contract exercises (test/access.test.ts has the rest).
  let frontDesk: Promise<Record<string, string>> | undefined;
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    frontDesk ??= api.keys.headersFor({ role: 'FRONT_DESK' });
    return graphqlRequest(api.url, query, variables, await frontDesk);
  };
  const register = async (input: Record<string, unknown>) =>
    gql(`mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { ${PATIENT_FIELDS} } }`, {
      input,
    });
  const registeredId = async (input: Record<string, unknown>) => {
    const response = await register(input);
    const patient = response.data?.registerPatient as { id: string } | undefined;
    if (!patient) throw new Error(`registration failed: ${JSON.stringify(response.errors)}`);
    return patient.id;
  };
  const ada = (overrides: Record<string, unknown> = {}) => ({
    name: { given: ['Ada', 'Augusta'], family: `Lovelace${uniqueName('').slice(1, 6)}` },
    birthDate: '1985-12-10',
    gender: 'FEMALE',
    ...overrides,
  });

  describe(`patient subgraph on ${api.backend.name}`, () => {
    it('registers a patient with an assigned MRN and finds it by id and by MRN', async () => {
      const registered = await register(
        ada({ email: 'Ada@Example.test', address: { line: ['12 St James Sq'], city: 'London' } }),
      );
      const patient = registered.data?.registerPatient as Record<string, unknown>;
      expect(registered.errors).toBeUndefined();
      expect(patient).toMatchObject({
        active: true,
        version: 1,
        gender: 'FEMALE',
        birthDate: '1985-12-10',
        email: 'ada@example.test',
      });
      expect(patient.mrn).toMatch(/^MRN-\d{7}-\d$/);
      expect((patient.name as { text: string }).text).toMatch(/^Ada Augusta Lovelace/);
      const byId = await gql('query ($id: ID!) { patient(id: $id) { id mrn } }', { id: patient.id });
      expect(byId.data?.patient).toEqual({ id: patient.id, mrn: patient.mrn });
      const byMrn = await gql('query ($mrn: String!) { patientByMrn(mrn: $mrn) { id } }', {
        mrn: String(patient.mrn).toLowerCase(),
      });
      expect(byMrn.data?.patientByMrn).toEqual({ id: patient.id });
    });

    it('answers null for an unknown or malformed id', async () => {
      const unknown = await gql(
        '{ a: patient(id: "00000000-0000-4000-8000-000000000000") { id } b: patient(id: "nope") { id } }',
      );
      expect(unknown).toEqual({ data: { a: null, b: null } });
    });

    it('rejects a taken MRN or email with CONFLICT naming the field', async () => {
      const mrn = `T-${uniqueName('x').slice(-8).toUpperCase()}`;
      const email = `${uniqueName('e')}@example.test`;
      expect(errorCode(await register(ada({ mrn, email })))).toBeUndefined();
      const sameMrn = await register(ada({ mrn }));
      expect(sameMrn.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'mrn' });
      const sameEmail = await register(ada({ email: email.toUpperCase() }));
      expect(sameEmail.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'email' });
    });

    it.each([
      ['an impossible birth date', { birthDate: '2023-02-30' }, 'birthDate'],
      ['a future birth date', { birthDate: '2999-01-01' }, 'birthDate'],
      ['a malformed email', { email: 'not-an-email' }, 'email'],
      ['an empty family name', { name: { given: ['Ada'], family: '  ' } }, 'family'],
      ['no given name', { name: { given: [' '], family: 'Lovelace' } }, 'given'],
      // Strict input (the kit's, for every argument): no control characters, bounded strings and lists.
      ['a NUL byte in a name', { name: { given: ['Ada\u0000'], family: 'Lovelace' } }, 'input.name.given[0]'],
      [
        'a NUL byte in a city',
        { address: { line: ['1 Main St'], city: 'Lon\u0000don' } },
        'input.address.city',
      ],
      [
        'a bidi override in a name',
        { name: { given: ['Ada'], family: '\u202eecalevol' } },
        'input.name.family',
      ],
      [
        '10,000 given names',
        { name: { given: Array(10_000).fill('Ada'), family: 'Lovelace' } },
        'input.name.given',
      ],
      ['an address line of 800 KB', { address: { line: ['x'.repeat(800_000)] } }, 'input.address.line[0]'],
      ['a family name of zero-width spaces', { name: { given: ['Ada'], family: '\u200b\u200b' } }, 'family'],
      ['a given name of punctuation only', { name: { given: ['-'], family: 'Lovelace' } }, 'given'],
    ])('rejects %s with BAD_USER_INPUT naming the field', async (_case, overrides, field) => {
      const response = await register(ada(overrides));
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message).toContain(field);
    });

    it('refuses a NUL byte or a 100,000-character reason in a lookup, a filter and a deactivation, storing nothing', async () => {
      const id = await registeredId(ada());
      const cases = [
        gql('query ($mrn: String!) { patientByMrn(mrn: $mrn) { id } }', { mrn: 'MRN\u0000' }),
        gql('query ($name: String!) { patients(filter: { name: $name }) { totalCount } }', {
          name: 'a\u0000',
        }),
        gql('mutation ($id: ID!, $r: String) { deactivatePatient(id: $id, reason: $r) { active } }', {
          id,
          r: 'x'.repeat(100_000),
        }),
      ];
      for (const response of await Promise.all(cases)) {
        expect(errorCode(response)).toBe('BAD_USER_INPUT');
        expect(response.errors?.[0]?.extensions?.field).toEqual(expect.any(String));
      }
      const still = await gql('query ($id: ID!) { patient(id: $id) { active version } }', { id });
      expect(still.data?.patient).toEqual({ active: true, version: 1 });
    });

    it('updates with the current version, and rejects a stale version or an unknown id', async () => {
      const id = await registeredId(ada());
      const update = (expectedVersion: number, patientId = id) =>
        gql(
          `mutation ($id: ID!, $v: Int!) { updatePatient(id: $id, expectedVersion: $v, input: { phone: "+44 20 7946 0000" }) { version phone } }`,
          { id: patientId, v: expectedVersion },
        );
      expect((await update(1)).data?.updatePatient).toEqual({ version: 2, phone: '+44 20 7946 0000' });
      const stale = await update(1);
      expect(stale.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        field: 'expectedVersion',
        currentVersion: 2,
      });
      expect(errorCode(await update(1, '00000000-0000-4000-8000-000000000000'))).toBe('NOT_FOUND');
      const deactivateUnknown = await gql(
        'mutation { deactivatePatient(id: "00000000-0000-4000-8000-000000000001") { id } }',
      );
      expect(errorCode(deactivateUnknown)).toBe('NOT_FOUND');
    });

    it('pages through a name search by cursor without skipping or repeating, even with inserts in between', async () => {
      const family = `Pager${uniqueName('').slice(-6)}`;
      for (let n = 0; n < 7; n++) await register(ada({ name: { given: [`G${n}`], family } }));
      const page = (after: string | null) =>
        gql(
          `query ($name: String!, $after: String) { patients(filter: { name: $name }, first: 3, after: $after) {
             totalCount edges { cursor node { name { given } } }
             pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
          { name: family.toLowerCase().slice(0, 8), after },
        );
      type Page = {
        totalCount: number;
        edges: Array<{ cursor: string; node: { name: { given: string[] } } }>;
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
      };
      const seen: string[] = [];
      let after: string | null = null;
      for (let index = 0; index < 5; index++) {
        const result = (await page(after)).data?.patients as Page;
        seen.push(...result.edges.map((edge) => edge.node.name.given[0] ?? ''));
        // Relay's PageInfo: the first and last cursors of the page, and whether it began after a cursor.
        expect(result.pageInfo).toMatchObject({
          hasPreviousPage: after !== null,
          startCursor: result.edges[0]?.cursor,
          endCursor: result.edges.at(-1)?.cursor,
        });
        if (index === 0) {
          expect(result.totalCount).toBe(7);
          await register(ada({ name: { given: ['G0a'], family } })); // sorts before the cursor: must not appear
          await register(ada({ name: { given: ['G9'], family } })); // sorts after: must appear once
        }
        if (!result.pageInfo.hasNextPage) break;
        after = result.pageInfo.endCursor;
      }
      expect(seen).toEqual(['G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G9']);
    });

    it('filters by active and birth date, and rejects a bad page size or cursor', async () => {
      const born = '1970-01-02';
      const id = await registeredId(ada({ birthDate: born }));
      await gql('mutation ($id: ID!) { deactivatePatient(id: $id, reason: "moved away") { id } }', { id });
      const filter = (active: boolean) =>
        gql(
          'query ($b: Date!, $a: Boolean!) { patients(filter: { birthDate: $b, active: $a }) { edges { node { id } } } }',
          { b: born, a: active },
        );
      expect(JSON.stringify((await filter(false)).data)).toContain(id);
      expect(JSON.stringify((await filter(true)).data)).not.toContain(id);
      await expectPagingRules(gql, 'patients');
    });

    it('resolves 1 and 50 patient references with one store query each', async () => {
      const ids: string[] = [];
      for (let n = 0; n < 50; n++) ids.push(await registeredId(ada()));
      await expectBatchedReferences(gql, 'Patient', ids, () => api.calls('findByIds'));
    });

    it('publishes registered, updated and deactivated events as CloudEvents keyed by the patient id', async () => {
      const id = await registeredId(ada());
      await gql(
        'mutation ($id: ID!) { updatePatient(id: $id, expectedVersion: 1, input: { gender: OTHER }) { id } }',
        { id },
      );
      await gql('mutation ($id: ID!) { deactivatePatient(id: $id) { id } }', { id });
      const seen = await collectEvents(api.transport, patientTopic, id, 3);
      expect(seen.map(({ event }) => event.type)).toEqual([
        'patient.registered',
        'patient.updated',
        'patient.deactivated',
      ]);
      for (const { key, event } of seen) {
        expect(key).toBe(id);
        expect(event).toMatchObject({
          specversion: '1.0',
          source: 'urn:hsg:subgraph:patient',
          subject: id,
          datacontenttype: 'application/json',
        });
      }
      expect(
        seen.map(({ event }) => (event.data as { patient: { version: number } }).patient.version),
      ).toEqual([1, 2, 3]);
    }, 60_000);
  });
}
