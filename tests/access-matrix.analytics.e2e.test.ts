import type { Role } from '@hsg/kit/auth';
import { type GraphQLResponse, graphqlRequest, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, expect } from '@jest/globals';
import { DateTime } from 'luxon';
import { type Door, describeDoors } from './matrix-doors.ts';
import {
  adr,
  allows,
  answer,
  both,
  clinic,
  describeOperations,
  doctors,
  forbidden,
  type Operation,
  type Probe,
  startMatrix,
  stopMatrix,
  system,
} from './matrix-probes.ts';

/**
 * ADR 0016's matrix for the analytics subgraph (issue 14, ADR 0021), end to end on the embedded
 * system: `dashboard` field by field and `Doctor.stats`, for every role (and without a token), through
 * the router, the allowed and the denied answers both; then analytics' own door with no token, an
 * expired one and forged ones. The numbers are another test's: here a past day's (all zero, exact) and
 * today's shapes.
 */

// Yesterday and today in UTC: the fixture's events fall in it even just after midnight.
const today = () => {
  const now = DateTime.utc();
  return { from: now.minus({ days: 1 }).toISODate(), to: now.toISODate(), timeZone: 'UTC' };
};
// A day before this system existed: every count is 0, every rate null, every list empty.
const PAST = { from: '2020-02-03', to: '2020-02-03', timeZone: 'Europe/Berlin' };

const DASHBOARD = `query ($from: Date!, $to: Date!, $timeZone: String) {
  dashboard(from: $from, to: $to, timeZone: $timeZone)`;
const COUNTS = `patientsRegistered doctorsRegistered appointmentsBooked appointmentsCompleted
  appointmentsCancelled appointmentsNoShow resultsReceived resultsCorrected criticalResults`;
const LISTS = `perDay { date appointmentsBooked } byDoctor { doctor { id } appointmentsBooked }
  byTestCode { code resultsReceived }`;
const REVENUE = 'revenueInvoiced { amount currency } revenuePaid { amount currency }';

beforeAll(async () => {
  await startMatrix();
  // Analytics counts from the events: wait until it has the clinic (C, A, B; X, Y; four bookings).
  const admin = await system.as('ADMIN');
  await waitFor(async () => {
    const response = await graphqlRequest(
      system.routerUrl,
      `${DASHBOARD} { patientsRegistered doctorsRegistered appointmentsBooked } }`,
      today(),
      admin,
    );
    const seen = response.data?.dashboard as Record<string, number> | undefined;
    return (
      (seen?.patientsRegistered ?? 0) >= 3 &&
      (seen?.doctorsRegistered ?? 0) >= 2 &&
      (seen?.appointmentsBooked ?? 0) >= 4
    );
  }, 30_000);
}, 180_000);
afterAll(stopMatrix, 60_000);

/** Who may ask for the dashboard at all: either scope. */
const dashboardCell = (role: Role) =>
  adr.dashboardCounts[role] === '✓' || adr.dashboardRevenue[role] === '✓' ? '✓' : '–';

/** One field of a past day's dashboard: its exact value, else FORBIDDEN at it (a non-null one nulls data). */
const pastField = (role: Role, field: string, selection: string, value: unknown, nullable = false): Probe => {
  const rule = field.startsWith('revenue') ? adr.dashboardRevenue : adr.dashboardCounts;
  return {
    what: `dashboard(2020-02-03) { ${field} }`,
    query: `${DASHBOARD} { from timeZone ${selection} } }`,
    variables: PAST,
    expected:
      dashboardCell(role) === '–'
        ? answer(null, forbidden('dashboard'))
        : allows(rule[role], true)
          ? answer({ dashboard: { from: PAST.from, timeZone: PAST.timeZone, [field]: value } })
          : answer(
              nullable ? { dashboard: { from: PAST.from, timeZone: PAST.timeZone, [field]: null } } : null,
              forbidden(`dashboard.${field}`),
            ),
  };
};

const zeroDay = {
  date: PAST.from,
  appointmentsBooked: 0,
};

const todayIs = (response: GraphQLResponse) => {
  const seen = response.data?.dashboard as Record<string, unknown> & {
    perDay: Array<{ date: string }>;
    byDoctor: Array<{ doctor: { id: string } }>;
  };
  const { from, to } = today();
  expect(seen.perDay.map((day) => day.date)).toEqual([from, to]);
  expect(seen.patientsRegistered).toBeGreaterThanOrEqual(3);
  expect(seen.appointmentsBooked).toBeGreaterThanOrEqual(4);
  expect(seen.byDoctor.map((entry) => entry.doctor.id)).toEqual(
    expect.arrayContaining([clinic.X.id, clinic.Y.id]),
  );
};

/** A number for each count, a list for each list: the values are another test's. */
const shapes = {
  ...Object.fromEntries(COUNTS.split(/\s+/).map((field) => [field, expect.any(Number)])),
  perDay: expect.any(Array),
  byDoctor: expect.any(Array),
  byTestCode: expect.any(Array),
};

// ---------------------------------------------------------------------------------------------------------
// Every operation.

const operations: Operation[] = [
  {
    name: 'dashboard: counts, perDay, byDoctor, byTestCode',
    cells: adr.dashboardCounts,
    async probes(role) {
      const counts = COUNTS.split(/\s+/).map((field) => pastField(role, field, field, 0));
      const rates = ['noShowRate', 'abnormalResultRate'].map((field) =>
        pastField(role, field, field, null, true),
      );
      const lists = [
        pastField(role, 'perDay', 'perDay { date appointmentsBooked }', [zeroDay]),
        pastField(role, 'byDoctor', 'byDoctor { doctor { id } }', []),
        pastField(role, 'byTestCode', 'byTestCode { code }', []),
      ];
      return [
        ...counts,
        ...rates,
        ...lists,
        {
          what: 'dashboard(yesterday, today) { counts, lists }',
          query: `${DASHBOARD} { from to timeZone ${COUNTS} ${LISTS} } }`,
          variables: today(),
          expected: allows(adr.dashboardCounts[role], true)
            ? answer({ dashboard: { ...today(), ...shapes } })
            : role === 'BILLING'
              ? // The first refused non-null field nulls the dashboard, and data with it.
                answer(null, forbidden('dashboard.patientsRegistered'))
              : answer(null, forbidden('dashboard')),
          check: todayIs,
        },
      ];
    },
  },
  {
    name: 'dashboard: revenueInvoiced, revenuePaid',
    cells: adr.dashboardRevenue,
    async probes(role) {
      const allowed = allows(adr.dashboardRevenue[role], true);
      return [
        pastField(role, 'revenueInvoiced', 'revenueInvoiced { amount currency }', []),
        pastField(role, 'revenuePaid', 'revenuePaid { amount currency }', []),
        {
          // No invoice is issued in this file's system: nothing invoiced or paid today either.
          what: 'dashboard(yesterday, today) { revenue }',
          query: `${DASHBOARD} { from to ${REVENUE} } }`,
          variables: today(),
          expected: allowed
            ? answer({
                dashboard: { from: today().from, to: today().to, revenueInvoiced: [], revenuePaid: [] },
              })
            : dashboardCell(role) === '✓'
              ? answer(null, forbidden('dashboard.revenueInvoiced'))
              : answer(null, forbidden('dashboard')),
        },
        {
          // A CLINICIAN who asks for the revenue beside the counts loses the whole dashboard (non-null).
          what: 'dashboard(yesterday, today) { appointmentsBooked revenue }',
          query: `${DASHBOARD} { appointmentsBooked ${REVENUE} } }`,
          variables: today(),
          expected:
            role === 'ADMIN'
              ? answer({
                  dashboard: { appointmentsBooked: expect.any(Number), revenueInvoiced: [], revenuePaid: [] },
                })
              : role === 'CLINICIAN'
                ? answer(null, forbidden('dashboard.revenueInvoiced'))
                : role === 'BILLING'
                  ? answer(null, forbidden('dashboard.appointmentsBooked'))
                  : answer(null, forbidden('dashboard')),
        },
      ];
    },
  },
  {
    name: 'Doctor.stats',
    cells: both(adr.readDoctors, adr.doctorStats),
    async probes(role) {
      const allowed = (own: boolean) => allows(adr.doctorStats[role], own);
      const STATS = `stats(from: $from, to: $to, timeZone: $timeZone) {
        doctor { id } appointmentsBooked appointmentsCompleted appointmentsCancelled appointmentsNoShow }`;
      const stats = (id: string) => ({
        doctor: { id },
        appointmentsBooked: expect.any(Number),
        appointmentsCompleted: expect.any(Number),
        appointmentsCancelled: expect.any(Number),
        appointmentsNoShow: expect.any(Number),
      });
      // X: A–X and C–X booked today; Y: B–Y and A–Y.
      const booked = (path: (data: Record<string, unknown>) => unknown) => (response: GraphQLResponse) => {
        const seen = path(response.data ?? {}) as { appointmentsBooked: number };
        expect(seen.appointmentsBooked).toBeGreaterThanOrEqual(2);
      };
      const probes: Probe[] = doctors().map(({ doctor, own }) => ({
        what: `doctor(${doctor.label}) { stats }`,
        query: `query ($id: ID!, $from: Date!, $to: Date!, $timeZone: String) { doctor(id: $id) { id ${STATS} } }`,
        variables: { id: doctor.id, ...today() },
        // Stats is non-null: refused, it nulls the doctor around it.
        expected: !allows(adr.readDoctors[role], own)
          ? answer({ doctor: null }, forbidden('doctor'))
          : allowed(own)
            ? answer({ doctor: { id: doctor.id, stats: stats(doctor.id) } })
            : answer({ doctor: null }, forbidden('doctor.stats')),
        check: booked((data) => (data.doctor as { stats: unknown }).stats),
      }));
      // Straight to analytics, as the router asks for it under any Doctor.
      probes.push({
        what: 'analytics subgraph: _entities(Doctor X, Y) { stats }',
        via: 'analytics',
        query: `query ($r: [_Any!]!, $from: Date!, $to: Date!, $timeZone: String) {
          _entities(representations: $r) { ... on Doctor { id ${STATS} } } }`,
        variables: {
          r: doctors().map(({ doctor }) => ({ __typename: 'Doctor', id: doctor.id })),
          ...today(),
        },
        expected: answer(
          {
            _entities: doctors().map(({ doctor, own }) =>
              allowed(own) ? { id: doctor.id, stats: stats(doctor.id) } : null,
            ),
          },
          ...doctors().flatMap(({ own }, index) =>
            allowed(own) ? [] : [forbidden(`_entities.${index}.stats`)],
          ),
        ),
      });
      return probes;
    },
  },
];

describeOperations(operations);

// ---------------------------------------------------------------------------------------------------------
// The analytics subgraph's own door, without the router.

function doorsOf(): Door[] {
  return [
    { root: 'dashboard', query: `${DASHBOARD} { from appointmentsBooked } }`, variables: today() },
    {
      root: '_entities',
      query: `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on Doctor { id stats(from: "2020-02-03", to: "2020-02-03") { appointmentsBooked } } } }`,
      variables: { r: [{ __typename: 'Doctor', id: clinic.X.id }] },
    },
  ];
}

// The valid tokens are ADMIN's: it reads every field of both.
describeDoors('analytics', doorsOf, () => ({ role: 'ADMIN' as Role }));
