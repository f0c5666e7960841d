import { randomUUID } from 'node:crypto';
import type { Role } from '@hsg/kit/auth';
import { embeddedLogBackend, errorCode, graphqlRequest, waitFor } from '@hsg/testing';
import { useSubgraph } from '@hsg/testing/contracts';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { analyticsSubgraph } from '../src/subgraph.ts';
import { clinicDay, publish } from './events.ts';

// The subgraph as `npm start` runs it: the embedded log, the in-memory model refilled from it.
const under = useSubgraph(analyticsSubgraph, embeddedLogBackend);
const doctors = { a: randomUUID(), b: randomUUID() };

const counts = `patientsRegistered appointmentsBooked appointmentsCompleted appointmentsNoShow noShowRate
  resultsReceived abnormalResultRate criticalResults perDay { date appointmentsBooked }
  byDoctor { doctor { id } appointmentsBooked } byTestCode { code resultsReceived }`;
const revenue = 'revenueInvoiced { amount currency } revenuePaid { amount currency }';
const dashboardQuery = (fields: string) => `query ($from: Date!, $to: Date!, $timeZone: String) {
  dashboard(from: $from, to: $to, timeZone: $timeZone) { ${fields} } }`;
const statsQuery = `query ($id: ID!) { _entities(representations: [{ __typename: "Doctor", id: $id }]) {
  ... on Doctor { stats(from: "2026-05-04", to: "2026-05-04") { appointmentsBooked noShowRate } } } }`;

const ask = async (
  query: string,
  variables: Record<string, unknown>,
  as: { role: Role; doctorId?: string },
) => graphqlRequest(under.url, query, variables, await under.keys.headersFor(as));
const may4 = { from: '2026-05-04', to: '2026-05-04' };

beforeAll(async () => {
  await publish(under.transport, clinicDay(doctors));
  await waitFor(() => under.subgraph.workers.model.stats().processed === 19, 20_000);
});

describe('analytics API', () => {
  it('answers the dashboard from the consumed events', async () => {
    const response = await ask(dashboardQuery(`${counts} ${revenue}`), may4, { role: 'ADMIN' });
    expect(response.errors).toBeUndefined();
    expect(response.data?.dashboard).toMatchObject({
      patientsRegistered: 2,
      appointmentsBooked: 3,
      noShowRate: 1 / 3,
      abnormalResultRate: 0.5,
      perDay: [{ date: '2026-05-04', appointmentsBooked: 3 }],
      byDoctor: [
        { doctor: { id: doctors.a }, appointmentsBooked: 2 },
        { doctor: { id: doctors.b }, appointmentsBooked: 1 },
      ],
      revenueInvoiced: [
        { amount: 5000, currency: 'EUR' },
        { amount: 1500, currency: 'USD' },
      ],
      revenuePaid: [{ amount: 3000, currency: 'EUR' }],
    });
  });

  it('counts a redelivered event once', async () => {
    const [event] = clinicDay(doctors);
    if (!event) throw new Error('no event');
    await publish(under.transport, [event, event]);
    await waitFor(() => under.subgraph.workers.model.stats().duplicates >= 1, 20_000);
    await waitFor(() => under.subgraph.workers.model.stats().processed === 20, 20_000);
    const response = await ask(dashboardQuery('patientsRegistered'), may4, { role: 'ADMIN' });
    expect(response.data?.dashboard).toEqual({ patientsRegistered: 3 });
  });

  describe('access', () => {
    it.each(['ADMIN', 'CLINICIAN'] as const)('%s reads the counts', async (role) => {
      const response = await ask(dashboardQuery(counts), may4, { role, doctorId: doctors.a });
      expect(response.errors).toBeUndefined();
    });

    it.each(['ADMIN', 'BILLING'] as const)('%s reads the revenue', async (role) => {
      const response = await ask(dashboardQuery(revenue), may4, { role });
      expect(response.errors).toBeUndefined();
      expect(response.data?.dashboard).toMatchObject({ revenuePaid: [{ amount: 3000, currency: 'EUR' }] });
    });

    it('refuses a CLINICIAN the revenue and BILLING the counts, field by field', async () => {
      const clinician = await ask(dashboardQuery(`appointmentsBooked ${revenue}`), may4, {
        role: 'CLINICIAN',
      });
      expect(clinician.errors?.map((error) => [error.path?.join('.'), error.extensions?.code])).toEqual([
        ['dashboard.revenueInvoiced', 'FORBIDDEN'],
      ]);
      const billing = await ask(dashboardQuery('appointmentsBooked revenuePaid { amount }'), may4, {
        role: 'BILLING',
      });
      expect(billing.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    });

    it.each(['FRONT_DESK', 'PATIENT', 'INTEGRATION'] as const)('refuses %s the dashboard', async (role) => {
      expect(errorCode(await ask(dashboardQuery('timeZone'), may4, { role }))).toBe('FORBIDDEN');
    });

    it('refuses a caller without a token', async () => {
      const response = await graphqlRequest(under.url, dashboardQuery('timeZone'), may4);
      expect(errorCode(response)).toBe('UNAUTHENTICATED');
    });

    it("gives a CLINICIAN their own Doctor.stats, not a colleague's; ADMIN anyone's", async () => {
      const own = await ask(statsQuery, { id: doctors.a }, { role: 'CLINICIAN', doctorId: doctors.a });
      expect(own.data).toEqual({ _entities: [{ stats: { appointmentsBooked: 2, noShowRate: 0.5 } }] });
      const other = await ask(statsQuery, { id: doctors.b }, { role: 'CLINICIAN', doctorId: doctors.a });
      expect(errorCode(other)).toBe('FORBIDDEN');
      const admin = await ask(statsQuery, { id: doctors.b }, { role: 'ADMIN' });
      expect(admin.data).toEqual({ _entities: [{ stats: { appointmentsBooked: 1, noShowRate: 0 } }] });
      const billing = await ask(statsQuery, { id: doctors.b }, { role: 'BILLING' });
      expect(errorCode(billing)).toBe('FORBIDDEN');
    });
  });

  describe('bad input', () => {
    it.each([
      ['an unknown time zone', { ...may4, timeZone: 'Mars/Olympus_Mons' }, 'UNKNOWN_TIME_ZONE'],
      ['from after to', { from: '2026-05-05', to: '2026-05-04' }, 'RANGE_REVERSED'],
      ['a range over 366 days', { from: '2025-01-01', to: '2026-01-02' }, 'RANGE_TOO_LONG'],
    ])('refuses %s with BAD_USER_INPUT', async (_case, variables, rule) => {
      const response = await ask(dashboardQuery('timeZone'), variables, { role: 'ADMIN' });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.extensions).toMatchObject({ rule });
    });

    it('accepts a whole leap year (366 days)', async () => {
      const response = await ask(
        dashboardQuery('from to'),
        { from: '2028-01-01', to: '2028-12-31' },
        {
          role: 'ADMIN',
        },
      );
      expect(response.data).toEqual({ dashboard: { from: '2028-01-01', to: '2028-12-31' } });
    });

    it('refuses a date that is not a calendar date', async () => {
      const response = await ask(
        dashboardQuery('from'),
        { from: '2026-02-30', to: '2026-03-01' },
        {
          role: 'ADMIN',
        },
      );
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
    });
  });
});
