import {
  arrivedTooLate,
  dataOf,
  errorCode,
  graphqlRequest,
  retryUnavailable,
  uniqueName,
  waitFor,
} from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { embeddedSystem, type RunningSystem, realSystem } from './systems.ts';

const zone = 'Europe/Berlin';
const TOTALS = `patientsRegistered doctorsRegistered appointmentsBooked appointmentsCompleted appointmentsCancelled
  appointmentsNoShow noShowRate revenueInvoiced { amount currency } revenuePaid { amount currency }
  resultsReceived resultsCorrected abnormalResultRate criticalResults`;
const DASHBOARD = `query ($from: Date!, $to: Date!, $zone: String) { dashboard(from: $from, to: $to, timeZone: $zone) { ${TOTALS} } }`;
const LOINC = 'http://loinc.org';

/**
 * The analytics dashboard of a fresh system (no demo data, stores and topics of its own), after a known
 * clinic day made through the router: its numbers are exactly what the test did, they stay so after the
 * model is rebuilt from the events, and the revenue is for ADMIN and BILLING only.
 */
describe.each([
  ['embedded', embeddedSystem],
  ['real', realSystem],
])('the dashboard of a known clinic day (%s mode)', (_mode, start) => {
  let system: RunningSystem;
  const as = (role: Parameters<RunningSystem['as']>[0], links = {}) => system.as(role, links);
  const gql = async (headers: Record<string, string>, query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, headers);
  // Every event happens now, so a range of yesterday..tomorrow in Berlin holds them all whatever the hour.
  const today = DateTime.now().setZone(zone);
  const range = {
    from: today.minus({ days: 1 }).toISODate(),
    to: today.plus({ days: 1 }).toISODate(),
    zone,
  };

  beforeAll(async () => {
    system = await start();
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  it('counts exactly what happened, the same after a rebuild, revenue for ADMIN and BILLING only', async () => {
    const desk = await as('FRONT_DESK');
    const suffix = uniqueName('')
      .slice(-6)
      .replace(/[^a-z0-9]/g, 'x');
    const patients = [];
    for (const given of ['Ada', 'Bert', 'Cleo'])
      patients.push(
        dataOf<{ id: string }>(
          await gql(
            desk,
            'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
            {
              input: {
                name: { given: [given], family: `Dash${suffix}` },
                birthDate: '1980-01-01',
                gender: 'OTHER',
              },
            },
          ),
          'registerPatient',
        ).id,
      );
    // Two doctors, around the clock (visits a moment from now), with fees in two currencies.
    const registerDoctor = async (given: string, fee: { amount: number; currency: string }) =>
      dataOf<{ id: string }>(
        await gql(desk, 'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }', {
          input: {
            name: { given: [given], family: `Dash${suffix}` },
            licenseNumber: uniqueName('LIC').replaceAll('_', '-'),
            specialties: ['General practice'],
            timeZone: zone,
            workingHours: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].map((weekday) => ({
              weekday,
              start: '00:00',
              end: '24:00',
            })),
            consultationFee: fee,
          },
        }),
        'registerDoctor',
      ).id;
    const euroDoctor = await registerDoctor('Eva', { amount: 6500, currency: 'EUR' });
    const dollarDoctor = await registerDoctor('Dan', { amount: 4000, currency: 'USD' });

    const book = async (patientId: string, doctorId: string, startsInMs: number) =>
      dataOf<{ id: string }>(
        await retryUnavailable(
          () =>
            gql(desk, 'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }', {
              input: {
                patientId,
                doctorId,
                start: new Date(Date.now() + startsInMs).toISOString(),
                durationMinutes: 5,
              },
            }),
          { attempts: 150, delayMs: 100, also: arrivedTooLate },
        ),
        'bookAppointment',
      ).id;
    const [ada, bert, cleo] = patients as [string, string, string];
    const euroVisit = await book(ada, euroDoctor, 2_000);
    const dollarVisit = await book(bert, dollarDoctor, 2_000);
    const cancelled = await book(cleo, euroDoctor, 3 * 86_400_000);
    await book(cleo, dollarDoctor, 4 * 86_400_000); // stays booked
    expect(
      errorCode(
        await gql(desk, 'mutation ($id: ID!) { cancelAppointment(id: $id, reason: "unwell") { id } }', {
          id: cancelled,
        }),
      ),
    ).toBeUndefined();
    // Completed once begun. No no-shows: the job marks a visit an hour past its end, too late for a test.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    for (const [doctorId, visit] of [
      [euroDoctor, euroVisit],
      [dollarDoctor, dollarVisit],
    ] as const) {
      const clinician = await as('CLINICIAN', { doctorId });
      const done = await gql(clinician, 'mutation ($id: ID!) { completeAppointment(id: $id) { status } }', {
        id: visit,
      });
      expect(errorCode(done)).toBeUndefined();
    }

    // Billing invoices each completed visit at its doctor's fee; payments, one of them retried.
    const invoiceOf = async (patientId: string, visit: string) => {
      const self = await as('PATIENT', { patientId });
      let id: string | undefined;
      await waitFor(async () => {
        const answer = await gql(self, 'query ($id: ID!) { appointment(id: $id) { invoice { id } } }', {
          id: visit,
        });
        id = (answer.data?.appointment as { invoice: { id: string } | null } | null)?.invoice?.id;
        return id !== undefined;
      }, 30_000);
      return id as string;
    };
    const billing = await as('BILLING');
    const pay = async (invoiceId: string, amount: number, currency: string, idempotencyKey: string) =>
      dataOf(
        await gql(billing, 'mutation ($input: PayInvoiceInput!) { payInvoice(input: $input) { id } }', {
          input: { invoiceId, amount: { amount, currency }, method: 'CARD', idempotencyKey },
        }),
        'payInvoice',
      );
    const euroInvoice = await invoiceOf(ada, euroVisit);
    const dollarInvoice = await invoiceOf(bert, dollarVisit);
    await pay(euroInvoice, 3000, 'EUR', `${suffix}-1`);
    await pay(euroInvoice, 3000, 'EUR', `${suffix}-1`); // a retry: one payment
    await pay(euroInvoice, 3500, 'EUR', `${suffix}-2`);
    await pay(dollarInvoice, 1000, 'USD', `${suffix}-3`);

    // Four results, two abnormal (one of them critical), sent twice; then one corrected.
    const lab = await as('INTEGRATION');
    const source = {
      sendingFacility: 'CITYLAB',
      messageId: `DASH-${suffix}-1`,
      placerOrder: `ORD-${suffix}`,
    };
    const results = [
      {
        code: { system: LOINC, code: '2345-7' },
        valueQuantity: { value: 7.8, unit: 'mmol/L' },
        interpretation: ['H'],
      },
      {
        code: { system: LOINC, code: '2823-3' },
        valueQuantity: { value: 6.9, unit: 'mmol/L' },
        interpretation: ['HH'],
      },
      {
        code: { system: LOINC, code: '2951-2' },
        valueQuantity: { value: 140, unit: 'mmol/L' },
        interpretation: ['N'],
      },
      { code: { system: LOINC, code: '5778-6' }, valueString: 'straw' },
    ].map((result) => ({ status: 'FINAL', ...result }));
    const record = (input: Record<string, unknown>) =>
      gql(
        lab,
        'mutation ($input: RecordLabResultsInput!) { recordLabResults(input: $input) { duplicate } }',
        { input },
      );
    const recorded = await retryUnavailable(() => record({ patientId: ada, source, results }), {
      attempts: 150,
      delayMs: 100,
    });
    expect(dataOf(recorded, 'recordLabResults')).toEqual({ duplicate: false });
    expect(dataOf(await record({ patientId: ada, source, results }), 'recordLabResults')).toEqual({
      duplicate: true,
    });
    const correction = {
      patientId: ada,
      source: { ...source, messageId: `DASH-${suffix}-2` },
      results: [{ ...results[1], status: 'CORRECTED', interpretation: ['N'] }],
    };
    expect(dataOf(await record(correction), 'recordLabResults')).toEqual({ duplicate: false });

    const expected = {
      patientsRegistered: 3,
      doctorsRegistered: 2,
      appointmentsBooked: 4,
      appointmentsCompleted: 2,
      appointmentsCancelled: 1,
      appointmentsNoShow: 0,
      noShowRate: 0,
      revenueInvoiced: [
        { amount: 6500, currency: 'EUR' },
        { amount: 4000, currency: 'USD' },
      ],
      revenuePaid: [
        { amount: 6500, currency: 'EUR' },
        { amount: 1000, currency: 'USD' },
      ],
      resultsReceived: 4,
      // The correction is counted apart and does not re-flag the result it corrects.
      resultsCorrected: 1,
      abnormalResultRate: 0.5,
      criticalResults: 1,
    };
    const admin = await as('ADMIN');
    const dashboard = async () => (await gql(admin, DASHBOARD, range)).data?.dashboard;
    // The model is fed by events: wait until it has counted them all, and check it counts nothing more.
    let last: unknown;
    await waitFor(async () => {
      last = await dashboard();
      return JSON.stringify(last) === JSON.stringify(expected);
    }, 60_000).catch(() => {});
    expect(last).toEqual(expected);
    // A day before the events holds none of them.
    const yesterday = today.minus({ days: 1 }).toISODate();
    const before = await gql(admin, DASHBOARD, {
      from: yesterday,
      to: yesterday,
      zone: 'Pacific/Kiritimati',
    });
    expect(before.data?.dashboard).toMatchObject({
      patientsRegistered: 0,
      resultsReceived: 0,
      revenuePaid: [],
    });

    // Rebuilt from the topics (a replay that found nothing would leave an empty model, not this).
    expect((await system.rebuildAnalytics()).handled).toBeGreaterThan(0);
    expect(await dashboard()).toEqual(expected);

    // Who sees what: a clinician the counts and their own stats, not the revenue; billing the revenue only.
    const clinician = await as('CLINICIAN', { doctorId: euroDoctor });
    const counts = await gql(
      clinician,
      'query ($from: Date!, $to: Date!, $zone: String) { dashboard(from: $from, to: $to, timeZone: $zone) { appointmentsBooked } }',
      range,
    );
    expect(counts.data?.dashboard).toEqual({ appointmentsBooked: 4 });
    const ownStats = await gql(
      clinician,
      'query ($id: ID!, $from: Date!, $to: Date!, $zone: String) { doctor(id: $id) { stats(from: $from, to: $to, timeZone: $zone) { appointmentsBooked appointmentsCompleted appointmentsCancelled noShowRate } } }',
      { id: euroDoctor, ...range },
    );
    expect(ownStats.data?.doctor).toEqual({
      stats: { appointmentsBooked: 2, appointmentsCompleted: 1, appointmentsCancelled: 1, noShowRate: 0 },
    });
    const revenue =
      'query ($from: Date!, $to: Date!, $zone: String) { dashboard(from: $from, to: $to, timeZone: $zone) { revenueInvoiced { amount currency } revenuePaid { amount currency } } }';
    expect(errorCode(await gql(clinician, revenue, range))).toBe('FORBIDDEN');
    const billed = await gql(billing, revenue, range);
    expect(billed.errors).toBeUndefined();
    expect(billed.data?.dashboard).toEqual({
      revenueInvoiced: expected.revenueInvoiced,
      revenuePaid: expected.revenuePaid,
    });
    expect(errorCode(await gql(billing, DASHBOARD, range))).toBe('FORBIDDEN');
  }, 180_000);
});
