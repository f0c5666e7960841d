import { doctorTopic } from '@hsg/contracts';
import { silentLogger } from '@hsg/kit';
import { serveSubgraph } from '@hsg/kit/runtime';
import {
  collectEvents,
  dataOf,
  type EventBackend,
  errorCode,
  graphqlRequest,
  uniqueName,
  waitFor,
} from '@hsg/testing';
import { expectBatchedReferences, expectPagingRules, useSubgraph } from '@hsg/testing/contracts';
import { describe, expect, it } from '@jest/globals';
import { doctorSubgraph } from '../src/subgraph.ts';

const DOCTOR_FIELDS = `id name { given family text } licenseNumber specialties timeZone
  workingHours { weekday start end } consultationFee { amount currency } active version createdAt updatedAt`;

type Doctor = { id: string; version: number } & Record<string, unknown>;

const tag = () => uniqueName('').slice(-8);

/** The doctor subgraph's public contract, run on each store + transport pair (PGlite + log, MariaDB + Kafka). */
export function describeDoctorApi(makeBackend: () => EventBackend): void {
  const logger = silentLogger();
  const api = useSubgraph(doctorSubgraph, makeBackend, { logger });
  const url = () => api.url;
  const origin = () => new URL(api.url).origin;

  // The front desk reads and writes doctors: every request here is theirs unless a test says otherwise.
  let frontDeskHeaders: Promise<Record<string, string>> | undefined;
  const asFrontDesk = () => {
    frontDeskHeaders ??= api.keys.headersFor({ role: 'FRONT_DESK' });
    return frontDeskHeaders;
  };
  const gql = async (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
    graphqlRequest(api.url, query, variables, { ...(await asFrontDesk()), ...headers });
  const register = (input: Record<string, unknown>, headers?: Record<string, string>) =>
    gql(
      `mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { ${DOCTOR_FIELDS} } }`,
      { input },
      headers,
    );
  const registered = async (input: Record<string, unknown>, headers?: Record<string, string>) => {
    const response = await register(input, headers);
    const doctor = response.data?.registerDoctor as Doctor | undefined;
    if (!doctor) throw new Error(`registration failed: ${JSON.stringify(response.errors)}`);
    return doctor;
  };
  const update = (id: string, expectedVersion: number, input: Record<string, unknown>) =>
    gql(
      `mutation ($id: ID!, $v: Int!, $input: UpdateDoctorInput!) {
         updateDoctor(id: $id, expectedVersion: $v, input: $input) { ${DOCTOR_FIELDS} } }`,
      { id, v: expectedVersion, input },
    );
  const deactivate = (id: string, reason?: string) =>
    gql('mutation ($id: ID!, $r: String) { deactivateDoctor(id: $id, reason: $r) { id active version } }', {
      id,
      r: reason,
    });
  const house = (overrides: Record<string, unknown> = {}) => ({
    name: { given: ['Gregory'], family: `House${tag()}` },
    licenseNumber: `nj-${tag()}`,
    specialties: ['Diagnostics', 'Nephrology'],
    timeZone: 'America/New_York',
    workingHours: [{ weekday: 'MON', start: '09:00', end: '17:00' }],
    consultationFee: { amount: 25000, currency: 'USD' },
    ...overrides,
  });

  describe(`doctor subgraph on ${api.backend.name}`, () => {
    it('registers a doctor with normalised fields and finds it by id', async () => {
      const doctor = await registered(
        house({
          name: { given: [' Gregory ', ''], family: ' House ' },
          specialties: [' Diagnostics ', 'diagnostics', 'Nephrology'],
          timeZone: 'america/new_york',
          workingHours: [
            { weekday: 'WED', start: '13:00', end: '24:00' },
            { weekday: 'MON', start: '13:00', end: '17:00' },
            { weekday: 'MON', start: '08:00', end: '13:00' },
          ],
          consultationFee: { amount: 0, currency: 'usd' },
        }),
      );
      expect(doctor).toMatchObject({
        name: { given: ['Gregory'], family: 'House', text: 'Gregory House' },
        licenseNumber: expect.stringMatching(/^NJ-[0-9A-F]+$/),
        specialties: ['Diagnostics', 'Nephrology'],
        timeZone: 'America/New_York',
        workingHours: [
          { weekday: 'MON', start: '08:00', end: '13:00' },
          { weekday: 'MON', start: '13:00', end: '17:00' },
          { weekday: 'WED', start: '13:00', end: '24:00' },
        ],
        consultationFee: { amount: 0, currency: 'USD' },
        active: true,
        version: 1,
      });
      expect(doctor.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/); // UUIDv7
      expect(doctor.createdAt).toBe(doctor.updatedAt);
      const byId = await gql(`query ($id: ID!) { doctor(id: $id) { ${DOCTOR_FIELDS} } }`, { id: doctor.id });
      expect(byId).toEqual({ data: { doctor } });
    });

    it('answers null for an unknown or malformed id', async () => {
      const response = await gql(
        '{ a: doctor(id: "00000000-0000-4000-8000-000000000000") { id } b: doctor(id: "nope") { id } }',
      );
      expect(response).toEqual({ data: { a: null, b: null } });
    });

    it('rejects a license number already taken, in any case, with CONFLICT naming the field', async () => {
      const license = `gmc-${tag()}`;
      await registered(house({ licenseNumber: license }));
      const again = await register(house({ licenseNumber: license.toUpperCase() }));
      expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'licenseNumber' });
      expect(again.data).toBeNull();
    });

    const mon = (start: string, end: string) => ({ weekday: 'MON', start, end });
    it.each([
      ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }, 'IANA time zone'],
      ['an offset instead of a zone', { timeZone: '+02:00' }, 'IANA time zone'],
      [
        'overlapping ranges on one weekday',
        { workingHours: [mon('09:00', '12:00'), mon('11:30', '14:00')] },
        'must not overlap',
      ],
      [
        'a range that ends before it starts',
        { workingHours: [mon('17:00', '09:00')] },
        'start must be before end',
      ],
      ['an empty range', { workingHours: [mon('09:00', '09:00')] }, 'start must be before end'],
      ['a time past midnight', { workingHours: [mon('22:00', '24:30')] }, 'HH:MM'],
      ['a time without its leading zero', { workingHours: [mon('9:00', '12:00')] }, 'HH:MM'],
      ['a range starting at 24:00', { workingHours: [mon('24:00', '24:00')] }, 'start must be before end'],
      ['an empty specialty', { specialties: ['Surgery', '  '] }, 'empty specialty'],
      ['no specialty', { specialties: [] }, 'at least one specialty'],
      ['a negative fee', { consultationFee: { amount: -1, currency: 'EUR' } }, 'consultationFee.amount'],
      ['an unknown currency', { consultationFee: { amount: 100, currency: 'ABC' } }, 'ISO 4217'],
      [
        'a currency that is not three letters',
        { consultationFee: { amount: 100, currency: 'EURO' } },
        'ISO 4217',
      ],
      ['an empty family name', { name: { given: ['Ada'], family: '  ' } }, 'family'],
      ['no given name', { name: { given: [' '], family: 'House' } }, 'given'],
      ['a malformed license number', { licenseNumber: 'a b' }, 'licenseNumber'],
    ])('rejects %s with BAD_USER_INPUT naming the rule', async (_case, overrides, rule) => {
      const response = await register(house(overrides));
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message).toContain(rule);
      expect(response.errors?.[0]?.extensions?.retriable).toBe(false);
    });

    it('updates with the current version, reporting only real changes, and rejects a stale version', async () => {
      const doctor = await registered(house());
      const changed = await update(doctor.id, 1, {
        specialties: ['Infectious Disease'],
        timeZone: 'Europe/London',
        name: null,
      });
      expect(changed.data?.updateDoctor).toMatchObject({
        version: 2,
        specialties: ['Infectious Disease'],
        timeZone: 'Europe/London',
        name: doctor.name,
        workingHours: doctor.workingHours,
      });
      const same = await update(doctor.id, 2, { timeZone: 'europe/london' });
      expect(same.data?.updateDoctor).toMatchObject({ version: 2 }); // nothing changed: nothing written
      const stale = await update(doctor.id, 1, { timeZone: 'Asia/Tokyo' });
      expect(stale.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        field: 'expectedVersion',
        currentVersion: 2,
      });
      const invalid = await update(doctor.id, 2, {
        workingHours: [mon('10:00', '12:00'), mon('09:00', '10:30')],
      });
      expect(errorCode(invalid)).toBe('BAD_USER_INPUT');
      expect(errorCode(await update('00000000-0000-4000-8000-000000000000', 1, { timeZone: 'UTC' }))).toBe(
        'NOT_FOUND',
      );
    });

    it('rejects an update to a license another doctor holds', async () => {
      const [a, b] = [await registered(house()), await registered(house())];
      const response = await update(b.id, 1, { licenseNumber: String(a.licenseNumber).toLowerCase() });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'licenseNumber' });
    });

    it('deactivates once: again returns the doctor unchanged; an unknown id is NOT_FOUND', async () => {
      const doctor = await registered(house());
      expect((await deactivate(doctor.id, 'retired')).data?.deactivateDoctor).toEqual({
        id: doctor.id,
        active: false,
        version: 2,
      });
      expect((await deactivate(doctor.id)).data?.deactivateDoctor).toEqual({
        id: doctor.id,
        active: false,
        version: 2,
      });
      expect(errorCode(await deactivate('00000000-0000-4000-8000-000000000001'))).toBe('NOT_FOUND');
    });

    it('pages through a name search by cursor without skipping or repeating, even with inserts in between', async () => {
      const family = `Pager${tag()}`;
      for (let n = 0; n < 7; n++) await registered(house({ name: { given: [`G${n}`], family } }));
      type Page = {
        totalCount: number;
        edges: Array<{ node: { name: { given: string[] } } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      const page = async (after: string | null) =>
        (
          await gql(
            `query ($name: String!, $after: String) { doctors(filter: { name: $name }, first: 3, after: $after) {
               totalCount edges { cursor node { name { given } } } pageInfo { hasNextPage endCursor } } }`,
            { name: family.toUpperCase(), after },
          )
        ).data?.doctors as Page;
      const seen: string[] = [];
      let after: string | null = null;
      for (let index = 0; index < 5; index++) {
        const result = await page(after);
        seen.push(...result.edges.map((edge) => edge.node.name.given[0] ?? ''));
        if (index === 0) {
          expect(result.totalCount).toBe(7);
          await registered(house({ name: { given: ['G0a'], family } })); // before the cursor: not seen
          await registered(house({ name: { given: ['G9'], family } })); // after it: seen once
        }
        if (!result.pageInfo.hasNextPage) break;
        after = result.pageInfo.endCursor;
      }
      expect(seen).toEqual(['G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G9']);
    });

    it('filters by specialty, activity and given-name prefix', async () => {
      const specialty = `Oncology ${tag()}`;
      const given = `Wilson${tag()}`;
      const active = await registered(
        house({ name: { given: [given], family: 'James' }, specialties: [specialty] }),
      );
      const inactive = await registered(house({ specialties: [specialty] }));
      await deactivate(inactive.id);
      const ids = async (filter: Record<string, unknown>) => {
        const response = await gql(
          'query ($f: DoctorFilter) { doctors(filter: $f, first: 100) { edges { node { id } } } }',
          { f: filter },
        );
        const page = dataOf<{ edges: Array<{ node: { id: string } }> }>(response, 'doctors');
        return page.edges.map((edge) => edge.node.id);
      };
      expect((await ids({ specialty: specialty.toLowerCase() })).sort()).toEqual(
        [active.id, inactive.id].sort(),
      );
      expect(await ids({ specialty, active: false })).toEqual([inactive.id]);
      expect(await ids({ specialty: specialty.slice(0, -1) })).toEqual([]);
      expect(await ids({ name: given.slice(0, 10).toLowerCase(), specialty })).toEqual([active.id]);
    });

    it('rejects a page size outside 1..100 or a cursor it did not issue', () =>
      expectPagingRules(gql, 'doctors'));

    it('resolves 1 and 50 doctor references with one store query each', async () => {
      const ids: string[] = [];
      for (let n = 0; n < 50; n++) ids.push((await registered(house())).id);
      await expectBatchedReferences(gql, 'Doctor', ids, () => api.calls('findByIds'));
    });

    it('answers like the Apollo subgraphs: 200 with the errors once executed, 400 before', async () => {
      const post = async (body: unknown) => {
        const response = await fetch(url(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(await asFrontDesk()) },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      const entities = await post({
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Doctor { id } } }',
        variables: { r: [{ __typename: 'Doctor', id: 'not-a-uuid' }, { __typename: 'Doctor' }] },
      });
      expect(entities).toEqual({ status: 200, body: { data: { _entities: [null, null] } } });
      const failed = await post({ query: 'mutation { deactivateDoctor(id: "nope") { id } }' });
      expect(failed).toMatchObject({
        status: 200,
        body: { data: null, errors: [{ path: ['deactivateDoctor'], extensions: { code: 'NOT_FOUND' } }] },
      });
      const validation = await post({ query: '{ doctors { nope } }' });
      expect(validation).toMatchObject({
        status: 400,
        body: { errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] },
      });
      const syntax = await post({ query: '{ doctors ' });
      expect(syntax).toMatchObject({
        status: 400,
        body: { errors: [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] },
      });
      const variables = await post({
        query: 'query ($first: Int!) { doctors(first: $first) { totalCount } }',
        variables: { first: 'x' },
      });
      expect(variables).toMatchObject({
        status: 400,
        body: { errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] },
      });
    });

    it('serves queries over GET with a preflight header, and refuses mutations there', async () => {
      const query = async (
        text: string,
        headers: Record<string, string> = { 'apollo-require-preflight': 'true' },
      ) => {
        const response = await fetch(`${url()}?query=${encodeURIComponent(text)}`, {
          headers: { ...(await asFrontDesk()), ...headers },
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      expect(await query('{ doctors(first: 1) { pageInfo { hasNextPage } } }')).toMatchObject({
        status: 200,
        body: { data: { doctors: { pageInfo: { hasNextPage: expect.any(Boolean) } } } },
      });
      const mutation = await query('mutation { deactivateDoctor(id: "x") { id } }');
      expect(mutation.status).toBe(405);
      expect(JSON.stringify(mutation.body)).toContain('GET');
      const simple = await query('{ doctors(first: 1) { totalCount } }', {});
      expect(simple).toMatchObject({
        status: 400,
        body: { errors: [{ extensions: { code: 'BAD_REQUEST' } }] },
      });
      expect(JSON.stringify(simple.body)).toContain('Cross-Site Request Forgery');
    });

    it('reports health, and readiness once the outbox relay runs', async () => {
      const health = await fetch(`${origin()}/health`);
      expect({ status: health.status, body: await health.json() }).toEqual({
        status: 200,
        body: { status: 'ok' },
      });
      await waitFor(() => api.subgraph.relay.state() === 'ready');
      const ready = await fetch(`${origin()}/ready`);
      expect({ status: ready.status, body: await ready.json() }).toEqual({
        status: 200,
        body: { status: 'ready', checks: { outbox: true } },
      });
      const unready = serveSubgraph(doctorSubgraph, {
        store: api.subgraph.store,
        logger,
        auth: { jwks: api.keys.jwks },
        readiness: { store: () => false },
      });
      const port = await unready.start(0);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/ready`);
        expect({ status: response.status, body: await response.json() }).toEqual({
          status: 503,
          body: { status: 'not ready', checks: { store: false } },
        });
      } finally {
        await unready.stop();
      }
    });

    it('publishes registered, updated and deactivated events as CloudEvents keyed by the doctor id', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const doctor = await registered(house(), { traceparent });
      await update(doctor.id, 1, {
        consultationFee: { amount: 30000, currency: 'USD' },
        timeZone: 'America/New_York',
      });
      await deactivate(doctor.id, ' moved to Princeton ');
      const seen = await collectEvents(api.transport, doctorTopic, doctor.id, 3);
      expect(seen.map(({ event }) => event.type)).toEqual([
        'doctor.registered',
        'doctor.updated',
        'doctor.deactivated',
      ]);
      for (const { key, event } of seen) {
        expect(key).toBe(doctor.id);
        expect(event).toMatchObject({
          specversion: '1.0',
          source: 'urn:hsg:subgraph:doctor',
          subject: doctor.id,
          datacontenttype: 'application/json',
        });
      }
      const [registeredEvent, updatedEvent, deactivatedEvent] = seen.map(({ event }) => event);
      expect(registeredEvent?.traceparent).toBe(traceparent);
      expect(updatedEvent?.traceparent).toBeUndefined();
      const { name, ...fields } = doctor as Doctor & { name: { given: string[]; family: string } };
      expect(registeredEvent?.data).toEqual({
        doctor: { ...fields, name: { given: name.given, family: name.family } },
      });
      expect(updatedEvent?.data).toMatchObject({ changed: ['consultationFee'], doctor: { version: 2 } });
      expect(deactivatedEvent?.data).toMatchObject({
        reason: 'moved to Princeton',
        doctor: { active: false, version: 3 },
      });
    }, 60_000);

    it('drops a malformed traceparent rather than publishing an envelope consumers would reject', async () => {
      const doctor = await registered(house(), { traceparent: 'not-a-trace' });
      const [event] = await collectEvents(api.transport, doctorTopic, doctor.id, 1);
      expect(event?.event.type).toBe('doctor.registered');
      expect(event?.event.traceparent).toBeUndefined();
    }, 60_000);
  });
}
