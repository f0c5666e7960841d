import { type AuditRecorded, auditTopic } from '@hsg/contracts';
import type { Role } from '@hsg/kit/auth';
import type { CloudEvent } from '@hsg/kit/events';
import {
  createTestKeys,
  type EventBackend,
  errorCode,
  type GraphQLResponse,
  type TokenRequest,
} from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PDFParse } from 'pdf-parse';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { formatMoney } from '../src/pdf.ts';
import { type Harness, type Parties, startHarness } from './harness.ts';

const roles = ['ADMIN', 'FRONT_DESK', 'CLINICIAN', 'BILLING', 'PATIENT', 'INTEGRATION'] as const;
const denied = 'FORBIDDEN';
type Seen = 'allowed' | typeof denied;

// Issue 13's rows, written out per role (not derived from the policies), for patient one (the PATIENT's
// own) and patient two.
const byId: Record<Role, [Seen, Seen]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: ['allowed', 'allowed'],
  CLINICIAN: [denied, denied],
  BILLING: ['allowed', 'allowed'],
  PATIENT: ['allowed', denied],
  INTEGRATION: [denied, denied],
};
/** lines, payments, voidReason, pdfUrl, account.openedAt: beyond status and amounts. */
const details: Record<Role, Seen> = {
  ADMIN: denied,
  FRONT_DESK: denied,
  CLINICIAN: denied,
  BILLING: 'allowed',
  PATIENT: 'allowed',
  INTEGRATION: denied,
};
const pays: Record<Role, [Seen, Seen]> = {
  ADMIN: [denied, denied],
  FRONT_DESK: ['allowed', 'allowed'],
  CLINICIAN: [denied, denied],
  BILLING: ['allowed', 'allowed'],
  PATIENT: ['allowed', denied],
  INTEGRATION: [denied, denied],
};
const voids: Record<Role, Seen> = {
  ADMIN: denied,
  FRONT_DESK: denied,
  CLINICIAN: denied,
  BILLING: 'allowed',
  PATIENT: denied,
  INTEGRATION: denied,
};
const pdfStatus: Record<Role, [number, number]> = {
  ADMIN: [403, 403],
  FRONT_DESK: [403, 403],
  CLINICIAN: [403, 403],
  BILLING: [200, 200],
  PATIENT: [200, 403],
  INTEGRATION: [403, 403],
};

const outcome = (response: GraphQLResponse, field: string): Seen | string => {
  if (response.errors) return errorCode(response) ?? 'error';
  return (response.data as Record<string, unknown> | undefined)?.[field] ? 'allowed' : 'null';
};

/** Who may do what with billing data, through GraphQL and the PDF route, and what the audit trail says. */
export function describeBillingAccess(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  let h: Harness;
  let one: Parties;
  let two: Parties;
  const invoices: [string, string] = ['', ''];
  const caller = (role: Role, link: Partial<TokenRequest> = {}): TokenRequest & { userId: string } => ({
    role,
    userId: uuidv7(),
    ...(role === 'PATIENT' ? { patientId: one.patientId } : {}),
    ...(role === 'CLINICIAN' ? { doctorId: one.doctorId } : {}),
    ...link,
  });
  const pdf = async (id: string, headers: Record<string, string>) =>
    fetch(`${h.origin}/invoices/${id}/pdf`, { headers });

  beforeAll(async () => {
    h = await startHarness(backend); // no no-show fee: the default
    one = await h.parties();
    two = await h.parties({ consultationFee: { amount: 12345, currency: 'EUR' } });
    invoices[0] = (await h.completed(one)).invoiceId;
    invoices[1] = (await h.completed(two)).invoiceId;
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await backend.dispose();
  }, 60_000);

  describe(`billing access rules on ${backend.name}`, () => {
    it('does not invoice a no-show when no fee is configured', async () => {
      const appointmentId = h.feed.newId();
      await h.applied((await h.feed.noShow(appointmentId, one)).id);
      expect(await h.invoiceIdOf(appointmentId)).toBeUndefined();
    });

    it.each(roles)(
      '%s: invoice(id), its details, lists, payments and voids',
      async (role) => {
        const who = caller(role);
        const read = (id: string) =>
          h.as(
            who,
            `{ invoice(id: "${id}") { id number status total { amount } outstanding { amount } dueDate version account { id accountNumber balance { amount } } patient { id } } }`,
          );
        expect([
          outcome(await read(invoices[0]), 'invoice'),
          outcome(await read(invoices[1]), 'invoice'),
        ]).toEqual(byId[role]);
        const detail = await h.as(
          who,
          `{ invoice(id: "${invoices[0]}") { lines { description } payments { id } voidReason pdfUrl account { openedAt } } }`,
        );
        expect(outcome(detail, 'invoice')).toBe(details[role]);

        const listed = await h.as(
          who,
          '{ invoices(first: 100) { totalCount edges { node { patient { id } } } } }',
        );
        const visible = byId[role].filter((seen) => seen === 'allowed').length;
        if (visible === 0) expect(errorCode(listed)).toBe(denied);
        else {
          const page = listed.data?.invoices as {
            totalCount: number;
            edges: Array<{ node: { patient: { id: string } } }>;
          };
          const mine = page.edges.filter((edge) =>
            [one.patientId, two.patientId].includes(edge.node.patient.id),
          );
          expect(new Set(mine.map((edge) => edge.node.patient.id)).size).toBe(visible);
          if (role === 'PATIENT') expect(page.totalCount).toBe(1);
        }
        const ofPatient = await h.as(
          who,
          `{ _entities(representations: [{ __typename: "Patient", id: "${two.patientId}" }]) { ... on Patient { invoices { totalCount } billingAccount { id } } } }`,
        );
        expect(errorCode(ofPatient) ?? 'allowed').toBe(byId[role][1]);

        for (const [index, invoiceId] of invoices.entries()) {
          const before = (
            await h.as(
              caller('BILLING'),
              'query ($id: ID!) { invoice(id: $id) { paid { amount } version } }',
              {
                id: invoiceId,
              },
            )
          ).data?.invoice as { paid: { amount: number }; version: number };
          const paid = await h.as(
            who,
            'mutation ($input: PayInvoiceInput!) { payInvoice(input: $input) { id amount { amount } invoice { paid { amount } version } } }',
            {
              input: {
                invoiceId,
                amount: { amount: 1, currency: 'EUR' },
                method: 'CARD',
                idempotencyKey: `${role}-${invoiceId}`,
              },
            },
          );
          expect(outcome(paid, 'payInvoice')).toBe(pays[role][index]);
          // The answer's invoice is as the payment left it (the policy's earlier read is not reused).
          if (pays[role][index] === 'allowed')
            expect((paid.data?.payInvoice as { invoice: unknown } | undefined)?.invoice).toEqual({
              paid: { amount: before.paid.amount + 1 },
              version: before.version + 1,
            });
        }
        const extra = await h.completed(two);
        const voided = await h.as(
          who,
          `mutation { voidInvoice(id: "${extra.invoiceId}", expectedVersion: 1, reason: "test") { status } }`,
        );
        expect(outcome(voided, 'voidInvoice')).toBe(voids[role]);
      },
      60_000,
    );

    it.each(roles)('%s: the PDF download follows the same rules', async (role) => {
      const headers = await h.keys.headersFor(caller(role));
      expect([(await pdf(invoices[0], headers)).status, (await pdf(invoices[1], headers)).status]).toEqual(
        pdfStatus[role],
      );
    });

    it('serves the PDF with its number and total, and answers 401 without a usable token and 404 for no invoice', async () => {
      const staff = await h.keys.headersFor(caller('BILLING'));
      const response = await pdf(invoices[1], staff);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/pdf');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const number = (
        (await h.gql(`{ invoice(id: "${invoices[1]}") { number } }`)).data?.invoice as
          | { number: string }
          | undefined
      )?.number;
      expect(response.headers.get('content-disposition')).toBe(`inline; filename="${number}.pdf"`);
      const parser = new PDFParse({ data: new Uint8Array(await response.arrayBuffer()) });
      try {
        const { text } = await parser.getText();
        expect(text).toContain(number);
        expect(text).toContain(formatMoney({ amount: 12345, currency: 'EUR' }));
      } finally {
        await parser.destroy();
      }
      const other = await createTestKeys();
      for (const headers of [{}, await other.headersFor({ role: 'BILLING' }), { authorization: 'Basic x' }]) {
        const refused = await pdf(invoices[1], headers);
        expect(refused.status).toBe(401);
        expect(
          ((await refused.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]
            ?.extensions.code,
        ).toBe('UNAUTHENTICATED');
      }
      for (const id of [uuidv4(), 'nope', '%00']) expect((await pdf(id, staff)).status).toBe(404);
    });

    it('records reads, refusals and writes of billing data with their patient (ADR 0017)', async () => {
      const auditRows = async (userId: string) =>
        (
          await h.db
            .selectFrom('kit_outbox')
            .select(['payload'])
            .where('topic', '=', auditTopic)
            .orderBy('seq')
            .execute()
        ).flatMap((row) =>
          (JSON.parse(row.payload) as CloudEvent<AuditRecorded>).data.requests.filter(
            (request) => request.userId === userId,
          ),
        );
      const patient = caller('PATIENT');
      await h.as(
        patient,
        `query Mine { a: invoice(id: "${invoices[0]}") { id status } b: invoice(id: "${invoices[1]}") { id } }`,
      );
      const desk = caller('FRONT_DESK');
      await h.as(desk, `query Detail { invoice(id: "${invoices[1]}") { status lines { description } } }`);
      await h.as(desk, 'mutation Take($input: PayInvoiceInput!) { payInvoice(input: $input) { id } }', {
        input: {
          invoiceId: invoices[1],
          amount: { amount: 2, currency: 'EUR' },
          method: 'CASH',
          idempotencyKey: uuidv4(),
        },
      });
      const staff = caller('BILLING');
      await pdf(invoices[0], await h.keys.headersFor(staff));
      const sorted = <T extends { patientId: string | null }>(records: T[]) =>
        [...records].sort((a, b) => String(a.patientId).localeCompare(String(b.patientId)));
      expect((await auditRows(patient.userId)).map((row) => sorted(row.records))).toEqual([
        sorted([
          {
            patientId: one.patientId,
            outcome: 'ALLOWED',
            fields: ['Invoice.id', 'Invoice.status'],
            rootFields: ['invoice'],
          },
          { patientId: two.patientId, outcome: 'DENIED', fields: ['Invoice.id'], rootFields: ['invoice'] },
        ]),
      ]);
      expect(
        (await auditRows(desk.userId)).map((row) => [row.operationName, row.operationType, row.records]),
      ).toEqual([
        [
          'Detail',
          'READ',
          expect.arrayContaining([
            expect.objectContaining({
              patientId: two.patientId,
              outcome: 'DENIED',
              fields: expect.arrayContaining(['Invoice.lines']),
            }),
          ]),
        ],
        [
          'Take',
          'WRITE',
          [
            {
              patientId: two.patientId,
              outcome: 'ALLOWED',
              fields: ['Payment.id'],
              rootFields: ['payInvoice'],
            },
          ],
        ],
      ]);
      expect(
        (await auditRows(staff.userId)).map((row) => [
          row.operationName,
          row.records.map((record) => [record.patientId, record.outcome]),
        ]),
      ).toEqual([['InvoicePdf', [[one.patientId, 'ALLOWED']]]]);
    }, 60_000);
  });
}
