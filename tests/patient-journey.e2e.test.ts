import { patientTopic } from '@hsg/contracts';
import { errorCode, graphqlRequest, uniqueName } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { embeddedSystem, type RunningSystem, realSystem } from './systems.ts';

describe.each([
  ['embedded', embeddedSystem],
  ['real', realSystem],
])('a patient through the router (%s mode)', (_mode, start) => {
  let system: RunningSystem;
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const gql = async (query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, { traceparent, ...(await system.as('FRONT_DESK')) });

  beforeAll(async () => {
    system = await start();
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  it('registers, finds by id and MRN, pages a search, rejects a stale update, deactivates, and publishes each step', async () => {
    const family = `Journey${uniqueName('').slice(-6)}`;
    const register = (given: string) =>
      gql('mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id mrn version } }', {
        input: {
          name: { given: [given], family },
          birthDate: '1990-05-17',
          gender: 'UNKNOWN',
          email: `${given}.${family}@example.test`,
        },
      });
    const registered = await register('Ines');
    const patient = registered.data?.registerPatient as { id: string; mrn: string; version: number };
    expect(patient).toMatchObject({ version: 1, mrn: expect.stringMatching(/^MRN-/) });
    for (const given of ['Jonas', 'Kofi', 'Lena', 'Mateo'])
      expect(errorCode(await register(given))).toBeUndefined();

    const byId = await gql('query ($id: ID!) { patient(id: $id) { mrn name { text } active } }', {
      id: patient.id,
    });
    expect(byId.data?.patient).toEqual({ mrn: patient.mrn, name: { text: `Ines ${family}` }, active: true });
    const byMrn = await gql('query ($mrn: String!) { patientByMrn(mrn: $mrn) { id } }', { mrn: patient.mrn });
    expect(byMrn.data?.patientByMrn).toEqual({ id: patient.id });

    const names: string[] = [];
    let after: string | null = null;
    do {
      const page = await gql(
        'query ($name: String, $after: String) { patients(filter: { name: $name }, first: 2, after: $after) { totalCount edges { node { name { given } } } pageInfo { hasNextPage endCursor } } }',
        { name: family, after },
      );
      const connection = page.data?.patients as {
        totalCount: number;
        edges: Array<{ node: { name: { given: string[] } } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      expect(connection.totalCount).toBe(5);
      names.push(...connection.edges.map((edge) => edge.node.name.given.join(' ')));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after);
    expect(names).toEqual(['Ines', 'Jonas', 'Kofi', 'Lena', 'Mateo']);

    const update = (expectedVersion: number) =>
      gql(
        'mutation ($id: ID!, $v: Int!) { updatePatient(id: $id, expectedVersion: $v, input: { phone: "+1 555 0100" }) { version } }',
        {
          id: patient.id,
          v: expectedVersion,
        },
      );
    expect((await update(1)).data?.updatePatient).toEqual({ version: 2 });
    const stale = await update(1);
    expect(errorCode(stale)).toBe('CONFLICT');

    const deactivated = await gql(
      'mutation ($id: ID!) { deactivatePatient(id: $id, reason: "moved away") { active version } }',
      { id: patient.id },
    );
    expect(deactivated.data?.deactivatePatient).toEqual({ active: false, version: 3 });

    const events = await system.eventsFor(patientTopic, patient.id, 3);
    expect(events.map((event) => event.type)).toEqual([
      'patient.registered',
      'patient.updated',
      'patient.deactivated',
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        specversion: '1.0',
        id: expect.any(String),
        source: 'urn:hsg:subgraph:patient',
        subject: patient.id,
      });
      expect(Date.parse(event.time)).not.toBeNaN();
      expect(event.traceparent).toBe(traceparent); // the caller's trace, forwarded by the router
    }
    expect(events[2]?.data).toMatchObject({ reason: 'moved away' });
  }, 120_000);
});
