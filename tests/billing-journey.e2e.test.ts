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
import { PDFParse } from 'pdf-parse';
import { embeddedSystem, type RunningSystem, realSystem } from './systems.ts';

interface Money {
  amount: number;
  currency: string;
}
interface Invoice {
  id: string;
  number: string;
  status: string;
  total: Money;
  paid: Money;
  outstanding: Money;
  pdfUrl: string;
  version: number;
  payments: Array<{ id: string; amount: Money; method: string; idempotencyKey: string }>;
}

const INVOICE =
  'id number status total { amount currency } paid { amount currency } outstanding { amount currency } pdfUrl version payments { id amount { amount currency } method idempotencyKey }';
const PAY = `mutation Pay($input: PayInvoiceInput!) { payInvoice(input: $input) { id amount { amount currency } method idempotencyKey invoice { ${INVOICE} } } }`;

/**
 * A visit's money through the router: registering opens an account, completing a visit invoices it at the
 * doctor's fee, payments are safe to retry, a cancelled visit is never invoiced, and the invoice downloads
 * as a PDF whose text names its number and total. Billing learns everything from events.
 */
describe.each([
  ['embedded', embeddedSystem],
  ['real', realSystem],
])('billing through the router (%s mode)', (_mode, start) => {
  let system: RunningSystem;
  const as = (role: Parameters<RunningSystem['as']>[0], links = {}) => system.as(role, links);
  const gql = async (headers: Record<string, string>, query: string, variables?: Record<string, unknown>) =>
    graphqlRequest(system.routerUrl, query, variables, headers);

  beforeAll(async () => {
    system = await start();
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  it('opens an account, invoices a completed visit at the fee, takes retried and partial payments, serves the PDF', async () => {
    const desk = await as('FRONT_DESK');
    const family = `Ledger${uniqueName('')
      .slice(-6)
      .replace(/[^a-z0-9]/g, 'x')}`;
    const patient = dataOf<{ id: string }>(
      await gql(desk, 'mutation ($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }', {
        input: { name: { given: ['Rosalind'], family }, birthDate: '1968-11-02', gender: 'FEMALE' },
      }),
      'registerPatient',
    );
    const doctor = dataOf<{ id: string }>(
      await gql(desk, 'mutation ($input: RegisterDoctorInput!) { registerDoctor(input: $input) { id } }', {
        input: {
          name: { given: ['Ansel'], family },
          licenseNumber: uniqueName('LIC').replaceAll('_', '-'),
          specialties: ['General practice'],
          timeZone: 'Europe/Berlin',
          // Around the clock, so the test books a visit a moment from now whenever it runs.
          workingHours: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].map((weekday) => ({
            weekday,
            start: '00:00',
            end: '24:00',
          })),
          consultationFee: { amount: 6500, currency: 'EUR' },
        },
      }),
      'registerDoctor',
    );
    const self = await as('PATIENT', { patientId: patient.id });

    // Registering opened the patient's account (billing heard patient.registered).
    await waitFor(async () => {
      const answer = await gql(self, 'query ($id: ID!) { patient(id: $id) { billingAccount { id } } }', {
        id: patient.id,
      });
      return (answer.data?.patient as { billingAccount: unknown } | null)?.billingAccount != null;
    }, 30_000);
    const account = await gql(
      self,
      'query ($id: ID!) { patient(id: $id) { billingAccount { accountNumber balance { amount currency } } } }',
      { id: patient.id },
    );
    expect(account.data?.patient).toEqual({
      billingAccount: { accountNumber: expect.stringMatching(/\S/), balance: [] },
    });

    const book = async (startsInMs: number) =>
      dataOf<{ id: string }>(
        await retryUnavailable(
          () =>
            gql(desk, 'mutation ($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }', {
              input: {
                patientId: patient.id,
                doctorId: doctor.id,
                start: new Date(Date.now() + startsInMs).toISOString(),
                durationMinutes: 5,
              },
            }),
          { attempts: 150, delayMs: 100, also: arrivedTooLate },
        ),
        'bookAppointment',
      ).id;
    // A visit a moment from now (a booking may not start in the past), completed once it has begun.
    const visit = await book(1_500);
    const cancelled = await book(3 * 86_400_000);
    expect(
      errorCode(
        await gql(desk, 'mutation ($id: ID!) { cancelAppointment(id: $id, reason: "moved away") { id } }', {
          id: cancelled,
        }),
      ),
    ).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const clinician = await as('CLINICIAN', { doctorId: doctor.id });
    expect(
      errorCode(
        await gql(clinician, 'mutation ($id: ID!) { completeAppointment(id: $id) { status } }', {
          id: visit,
        }),
      ),
    ).toBeUndefined();

    // The invoice appears on the appointment and on the patient, at the doctor's fee.
    const invoiceOf = async (appointmentId: string) =>
      (
        (
          await gql(self, `query ($id: ID!) { appointment(id: $id) { status invoice { ${INVOICE} } } }`, {
            id: appointmentId,
          })
        ).data?.appointment as { status: string; invoice: Invoice | null } | null
      )?.invoice ?? null;
    await waitFor(async () => (await invoiceOf(visit)) !== null, 30_000);
    const invoice = (await invoiceOf(visit)) as Invoice;
    expect(invoice).toMatchObject({
      number: expect.stringMatching(/^INV-\d{4}-\d{6}$/),
      status: 'ISSUED',
      total: { amount: 6500, currency: 'EUR' },
      paid: { amount: 0, currency: 'EUR' },
      outstanding: { amount: 6500, currency: 'EUR' },
      pdfUrl: `/invoices/${invoice.id}/pdf`,
      payments: [],
    });
    const onPatient = await gql(
      self,
      'query ($id: ID!) { patient(id: $id) { invoices { totalCount edges { node { id } } } } }',
      {
        id: patient.id,
      },
    );
    expect(onPatient.data?.patient).toEqual({
      invoices: { totalCount: 1, edges: [{ node: { id: invoice.id } }] },
    });

    // Half, the same request again (a retry after a lost answer), then the rest.
    const billing = await as('BILLING');
    const pay = (amount: number, idempotencyKey: string) =>
      gql(billing, PAY, {
        input: { invoiceId: invoice.id, amount: { amount, currency: 'EUR' }, method: 'CARD', idempotencyKey },
      });
    const half = dataOf<{ id: string; invoice: Invoice }>(await pay(3250, `${family}-1`), 'payInvoice');
    expect(half.invoice).toMatchObject({ status: 'PARTIALLY_PAID', outstanding: { amount: 3250 } });
    const retried = dataOf<{ id: string }>(await pay(3250, `${family}-1`), 'payInvoice');
    expect(retried.id).toBe(half.id);
    const rest = dataOf<{ id: string; invoice: Invoice }>(await pay(3250, `${family}-2`), 'payInvoice');
    expect(rest.invoice).toMatchObject({
      status: 'PAID',
      paid: { amount: 6500 },
      outstanding: { amount: 0 },
    });
    expect(rest.invoice.payments.map((payment) => payment.id).sort()).toEqual([half.id, rest.id].sort());
    expect(errorCode(await pay(100, `${family}-3`))).toBe('BAD_USER_INPUT'); // nothing left to pay

    // The cancelled visit is never invoiced.
    const cancelledAnswer = await gql(
      self,
      'query ($id: ID!) { appointment(id: $id) { status invoice { id } } }',
      {
        id: cancelled,
      },
    );
    expect(cancelledAnswer.data?.appointment).toEqual({ status: 'CANCELLED', invoice: null });

    // The PDF, on the router's origin, for the patient; refused without a token and for a clinician.
    const pdfUrl = new URL(invoice.pdfUrl, system.routerUrl);
    const download = await fetch(pdfUrl, { headers: self });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    const parser = new PDFParse({ data: new Uint8Array(await download.arrayBuffer()) });
    const { text } = await parser.getText();
    await parser.destroy();
    expect(text).toContain(invoice.number);
    expect(text).toContain('65.00');
    expect((await fetch(pdfUrl)).status).toBe(401);
    expect((await fetch(pdfUrl, { headers: clinician })).status).toBe(403);
    const unknown = new URL(`/invoices/${crypto.randomUUID()}/pdf`, system.routerUrl);
    expect((await fetch(unknown, { headers: billing })).status).toBe(404);
  }, 120_000);
});
