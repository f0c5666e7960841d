import { type EventBackend, errorCode, type GraphQLResponse, setupTimeoutMs, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { v4 as uuidv4 } from 'uuid';
import { type Harness, INVOICE_FIELDS, type Parties, startHarness } from './harness.ts';

const extensionsOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions;
const NO_SHOW_FEE = 2500;

interface Invoice {
  id: string;
  number: string;
  status: string;
  total: { amount: number; currency: string };
  paid: { amount: number };
  outstanding: { amount: number };
  version: number;
}

/** Billing's public contract and its event-driven ledger, on each store + transport pair. */
export function describeBillingApi(makeBackend: () => EventBackend): void {
  const backend = makeBackend();
  let h: Harness;
  const invoice = async (id: string) =>
    (await h.gql(`query ($id: ID!) { invoice(id: $id) { ${INVOICE_FIELDS} } }`, { id })).data
      ?.invoice as Invoice | null;
  const pay = (input: {
    invoiceId: string;
    amount: number;
    currency?: string;
    method?: string;
    key: string;
  }) =>
    h.gql(
      `mutation ($input: PayInvoiceInput!) { payInvoice(input: $input) {
         id amount { amount currency } method idempotencyKey invoice { status paid { amount } version } } }`,
      {
        input: {
          invoiceId: input.invoiceId,
          amount: { amount: input.amount, currency: input.currency ?? 'EUR' },
          method: input.method ?? 'CARD',
          idempotencyKey: input.key,
        },
      },
    );
  const voidInvoice = (id: string, expectedVersion: number, reason = 'issued in error') =>
    h.gql(
      'mutation ($id: ID!, $v: Int!, $r: String!) { voidInvoice(id: $id, expectedVersion: $v, reason: $r) { status voidReason version } }',
      { id, v: expectedVersion, r: reason },
    );

  beforeAll(async () => {
    h = await startHarness(backend, { BILLING_NO_SHOW_FEE_MINOR: NO_SHOW_FEE });
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await backend.dispose();
  }, 60_000);

  describe(`billing subgraph on ${backend.name}`, () => {
    describe('the ledger', () => {
      it('opens exactly one account per patient however often patient.registered is delivered', async () => {
        const patientId = h.feed.newId();
        const first = await h.feed.registerPatient(patientId);
        await h.feed.resend(first);
        const update = await h.feed.updatePatient(patientId, { version: 2 });
        await h.applied(update.id);
        await h.feed.resend(first);
        await h.applied(first.id);
        expect(await h.count('accounts', 'patient_id', patientId)).toBe(1);
        const opened = await h.outbox(
          (
            await h.db
              .selectFrom('accounts')
              .select('id')
              .where('patient_id', '=', patientId)
              .executeTakeFirstOrThrow()
          ).id,
        );
        expect(opened.map((event) => event.type)).toEqual(['billing.account_opened']);
        const response = await h.gql(
          `{ _entities(representations: [{ __typename: "Patient", id: "${patientId}" }]) {
             ... on Patient { billingAccount { accountNumber balance { amount } holderName } } } }`,
        );
        expect(response.data?._entities).toEqual([
          {
            billingAccount: {
              accountNumber: expect.stringMatching(/^ACC-\d{6}$/),
              balance: [],
              holderName: 'Ada Example',
            },
          },
        ]);
      });

      it("issues one invoice per completed visit, priced from the doctor's fee, even when the completion is delivered twice", async () => {
        const parties = await h.parties({ consultationFee: { amount: 8000, currency: 'EUR' } });
        const appointmentId = h.feed.newId();
        const completion = await h.feed.complete(appointmentId, parties);
        await h.applied(completion.id);
        await h.feed.resend(completion);
        await h.feed.resend(completion);
        // A later event on the same partition applied means both redeliveries were seen before it.
        await h.applied((await h.feed.complete(h.feed.newId(), parties)).id);
        expect(await h.count('invoices', 'appointment_id', appointmentId)).toBe(1);
        const id = (await h.invoiceIdOf(appointmentId)) as string;
        expect(await invoice(id)).toMatchObject({
          number: expect.stringMatching(/^INV-2026-\d{6}$/),
          status: 'ISSUED',
          total: { amount: 8000, currency: 'EUR' },
          paid: { amount: 0, currency: 'EUR' },
          outstanding: { amount: 8000, currency: 'EUR' },
          issuedAt: '2026-03-02T09:00:00.000Z',
          dueDate: '2026-03-16',
          version: 1,
          pdfUrl: `/invoices/${id}/pdf`,
          lines: [
            {
              description: 'Consultation — Grace Hopper',
              quantity: 1,
              unitPrice: { amount: 8000, currency: 'EUR' },
              amount: { amount: 8000, currency: 'EUR' },
            },
          ],
          patient: { id: parties.patientId },
          appointment: { id: appointmentId },
        });
        expect((await h.outbox(id)).map((event) => event.type)).toEqual(['invoice.issued']);
      });

      it("keeps a visit pending until the doctor's fee is known, then issues it; a later fee change reprices nothing", async () => {
        const patientId = h.feed.newId(); // never registered: the completion opens the account
        const doctorId = h.feed.newId();
        const appointmentId = h.feed.newId();
        await h.applied((await h.feed.complete(appointmentId, { patientId, doctorId })).id);
        expect(await h.invoiceIdOf(appointmentId)).toBeUndefined();
        await h.applied(
          (await h.feed.registerDoctor(doctorId, { consultationFee: { amount: 4500, currency: 'CHF' } })).id,
        );
        const id = (await h.invoiceIdOf(appointmentId)) as string;
        expect(await invoice(id)).toMatchObject({ total: { amount: 4500, currency: 'CHF' } });
        expect(await h.count('accounts', 'patient_id', patientId)).toBe(1);
        await h.applied(
          (
            await h.feed.updateDoctor(doctorId, {
              version: 2,
              consultationFee: { amount: 9900, currency: 'CHF' },
            })
          ).id,
        );
        // An older snapshot arriving late changes nothing either.
        await h.applied(
          (
            await h.feed.updateDoctor(doctorId, {
              version: 1,
              consultationFee: { amount: 1, currency: 'CHF' },
            })
          ).id,
        );
        expect(await invoice(id)).toMatchObject({ total: { amount: 4500, currency: 'CHF' } });
        const next = await h.completed({ patientId, doctorId });
        expect(await invoice(next.invoiceId)).toMatchObject({ total: { amount: 9900, currency: 'CHF' } });
        // The patient registered late still has the one account the completion opened.
        await h.applied((await h.feed.registerPatient(patientId)).id);
        expect(await h.count('accounts', 'patient_id', patientId)).toBe(1);
      });

      it('never invoices a cancelled appointment, even if a completion of it arrived after', async () => {
        const parties = await h.parties();
        const appointmentId = h.feed.newId();
        await h.applied((await h.feed.cancel(appointmentId, parties)).id);
        await h.applied((await h.feed.complete(appointmentId, parties)).id);
        expect(await h.invoiceIdOf(appointmentId)).toBeUndefined();
      });

      it('invoices a no-show with the configured fee in the doctor’s currency', async () => {
        const parties = await h.parties({ consultationFee: { amount: 7000, currency: 'GBP' } });
        const appointmentId = h.feed.newId();
        await h.applied((await h.feed.noShow(appointmentId, parties)).id);
        const id = (await h.invoiceIdOf(appointmentId)) as string;
        expect(await invoice(id)).toMatchObject({
          total: { amount: NO_SHOW_FEE, currency: 'GBP' },
          lines: [{ description: 'No-show fee', quantity: 1 }],
        });
      });
    });

    describe('payments', () => {
      let parties: Parties;
      beforeAll(async () => {
        parties = await h.parties({ consultationFee: { amount: 10000, currency: 'EUR' } });
      }, setupTimeoutMs);

      it('takes partial payments to PARTIALLY_PAID and the last one to PAID, with their events', async () => {
        const { invoiceId } = await h.completed(parties);
        const first = await pay({ invoiceId, amount: 4000, key: `a-${invoiceId}` });
        expect(first.data?.payInvoice).toMatchObject({
          amount: { amount: 4000, currency: 'EUR' },
          method: 'CARD',
          invoice: { status: 'PARTIALLY_PAID', paid: { amount: 4000 }, version: 2 },
        });
        const last = await pay({ invoiceId, amount: 6000, method: 'CASH', key: `b-${invoiceId}` });
        expect(last.data?.payInvoice).toMatchObject({
          invoice: { status: 'PAID', paid: { amount: 10000 }, version: 3 },
        });
        expect(await invoice(invoiceId)).toMatchObject({ status: 'PAID', outstanding: { amount: 0 } });
        expect((await h.outbox(invoiceId)).map((event) => event.type)).toEqual([
          'invoice.issued',
          'payment.received',
          'payment.received',
          'invoice.paid',
        ]);
        const payments = await h.gql(
          `{ invoice(id: "${invoiceId}") { payments { amount { amount } method } } }`,
        );
        expect(payments.data?.invoice).toEqual({
          payments: [
            { amount: { amount: 4000 }, method: 'CARD' },
            { amount: { amount: 6000 }, method: 'CASH' },
          ],
        });
      });

      it('answers 20 concurrent identical payments with one key with the one payment it made', async () => {
        const { invoiceId } = await h.completed(parties);
        const key = `same-${invoiceId}`;
        const responses = await Promise.all(
          Array.from({ length: 20 }, () => pay({ invoiceId, amount: 2500, key })),
        );
        for (const response of responses) expect(response.errors).toBeUndefined();
        const ids = new Set(
          responses.map((response) => (response.data?.payInvoice as { id: string } | undefined)?.id),
        );
        expect(ids.size).toBe(1);
        expect(await h.count('payments', 'invoice_id', invoiceId)).toBe(1);
        expect(await invoice(invoiceId)).toMatchObject({
          paid: { amount: 2500 },
          status: 'PARTIALLY_PAID',
          version: 2,
        });
        const again = await pay({ invoiceId, amount: 2500, key });
        expect((again.data?.payInvoice as { id: string } | undefined)?.id).toEqual([...ids][0]);
      }, 60_000);

      it('never lets concurrent payments with different keys exceed the total: 2 of 10 halves succeed', async () => {
        const { invoiceId } = await h.completed(parties);
        const responses = await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            pay({ invoiceId, amount: 5000, key: `half-${index}-${invoiceId}` }),
          ),
        );
        expect(responses.filter((response) => response.errors === undefined)).toHaveLength(2);
        const refused = responses.filter((response) => response.errors !== undefined);
        expect(refused).toHaveLength(8);
        for (const response of refused)
          expect(extensionsOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', rule: 'OVERPAYMENT' });
        expect(await invoice(invoiceId)).toMatchObject({ status: 'PAID', paid: { amount: 10000 } });
        expect(await h.count('payments', 'invoice_id', invoiceId)).toBe(2);
      }, 60_000);

      it('refuses a reused key with another request, bad amounts and currencies, and writes nothing', async () => {
        const { invoiceId } = await h.completed(parties);
        const other = await h.completed(parties);
        const key = `k-${invoiceId}`;
        expect((await pay({ invoiceId, amount: 1000, key })).errors).toBeUndefined();
        for (const reuse of [
          { invoiceId, amount: 1001, key },
          { invoiceId, amount: 1000, method: 'CASH', key },
          { invoiceId: other.invoiceId, amount: 1000, key },
        ])
          expect(extensionsOf(await pay(reuse))).toMatchObject({
            code: 'CONFLICT',
            rule: 'IDEMPOTENCY_KEY_REUSED',
          });
        const cases: Array<[Parameters<typeof pay>[0], string]> = [
          [{ invoiceId, amount: 0, key: 'z0' }, 'AMOUNT_NOT_POSITIVE'],
          [{ invoiceId, amount: -5, key: 'z1' }, 'AMOUNT_NOT_POSITIVE'],
          [{ invoiceId, amount: 9001, key: 'z2' }, 'OVERPAYMENT'],
          [{ invoiceId, amount: 100, currency: 'USD', key: 'z3' }, 'CURRENCY_MISMATCH'],
          [{ invoiceId, amount: 100, key: '' }, 'IDEMPOTENCY_KEY_INVALID'],
          [{ invoiceId, amount: 100, key: 'x'.repeat(201) }, 'IDEMPOTENCY_KEY_INVALID'],
        ];
        for (const [input, rule] of cases) {
          const response = await pay(input);
          expect(extensionsOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', rule });
          expect(response.errors?.[0]?.message).toContain(rule);
        }
        // Beyond GraphQL's Int, a NUL byte in the key: refused before anything runs.
        for (const input of [
          { invoiceId, amount: 2 ** 31, key: 'big' },
          { invoiceId, amount: 2 ** 53 + 2, key: 'bigger' },
          { invoiceId, amount: 100, key: 'nul\u0000key' },
        ])
          expect(errorCode(await pay(input))).toBe('BAD_USER_INPUT');
        expect(errorCode(await pay({ invoiceId: uuidv4(), amount: 100, key: 'nobody' }))).toBe('NOT_FOUND');
        expect(errorCode(await pay({ invoiceId: 'not-an-id', amount: 100, key: 'nobody' }))).toBe(
          'NOT_FOUND',
        );
        expect(await h.count('payments', 'invoice_id', invoiceId)).toBe(1);
        expect(await invoice(invoiceId)).toMatchObject({ paid: { amount: 1000 }, version: 2 });
      });
    });

    describe('voids', () => {
      it('voids at the expected version with its reason and event; refuses stale versions, paid and void invoices', async () => {
        const parties = await h.parties();
        const { invoiceId } = await h.completed(parties);
        expect(extensionsOf(await voidInvoice(invoiceId, 7))).toMatchObject({
          code: 'CONFLICT',
          rule: 'STALE_VERSION',
          currentVersion: 1,
        });
        expect(extensionsOf(await voidInvoice(invoiceId, 1, '   '))).toMatchObject({
          code: 'BAD_USER_INPUT',
          rule: 'REASON_REQUIRED',
        });
        expect(extensionsOf(await voidInvoice(invoiceId, 1, 'x'.repeat(501)))).toMatchObject({
          rule: 'REASON_TOO_LONG',
        });
        expect((await voidInvoice(invoiceId, 1, ' duplicate visit ')).data?.voidInvoice).toEqual({
          status: 'VOID',
          voidReason: 'duplicate visit',
          version: 2,
        });
        expect(extensionsOf(await voidInvoice(invoiceId, 2))).toMatchObject({
          code: 'CONFLICT',
          rule: 'ALREADY_VOID',
        });
        expect(extensionsOf(await pay({ invoiceId, amount: 100, key: `v-${invoiceId}` }))).toMatchObject({
          code: 'CONFLICT',
          rule: 'INVOICE_VOID',
        });
        expect((await h.outbox(invoiceId)).map((event) => event.type)).toEqual([
          'invoice.issued',
          'invoice.voided',
        ]);

        const paid = await h.completed(parties);
        await pay({ invoiceId: paid.invoiceId, amount: 100, key: `p-${paid.invoiceId}` });
        const refused = await voidInvoice(paid.invoiceId, 2);
        expect(extensionsOf(refused)).toMatchObject({ code: 'CONFLICT', rule: 'HAS_PAYMENTS' });
        expect(refused.errors?.[0]?.message).toContain('refunds are not modelled');
        for (const id of [uuidv4(), 'nope']) expect(errorCode(await voidInvoice(id, 1))).toBe('NOT_FOUND');
      });
    });

    describe('reads', () => {
      let parties: Parties;
      const ids: string[] = [];
      beforeAll(async () => {
        parties = await h.parties();
        for (let index = 0; index < 3; index++) ids.push((await h.completed(parties)).invoiceId);
      }, setupTimeoutMs);

      it('finds an invoice by number, lists a patient’s invoices newest first with cursors, and answers null for unknown ids', async () => {
        const first = (await invoice(ids[0] as string)) as Invoice;
        const byNumber = await h.gql(
          `{ invoiceByNumber(number: "${first.number}") { id } nope: invoiceByNumber(number: "INV-0") { id } }`,
        );
        expect(byNumber.data).toEqual({ invoiceByNumber: { id: first.id }, nope: null });
        const page = await h.gql(
          `query ($p: ID!) { invoices(filter: { patientId: $p, status: [ISSUED] }, first: 2) {
             totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
          { p: parties.patientId },
        );
        const connection = page.data?.invoices as {
          totalCount: number;
          edges: Array<{ node: { id: string } }>;
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
        expect(connection.totalCount).toBe(3);
        expect(connection.edges.map((edge) => edge.node.id)).toEqual([ids[2], ids[1]]);
        expect(connection.pageInfo.hasNextPage).toBe(true);
        const rest = await h.gql(
          `query ($p: ID!, $a: String) { invoices(filter: { patientId: $p }, first: 2, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }`,
          { p: parties.patientId, a: connection.pageInfo.endCursor },
        );
        expect(rest.data?.invoices).toEqual({
          edges: [{ node: { id: ids[0] } }],
          pageInfo: { hasNextPage: false },
        });
        const unknown = await h.gql(`{ a: invoice(id: "${uuidv4()}") { id } b: invoice(id: "nope") { id } }`);
        expect(unknown).toEqual({ data: { a: null, b: null } });
        expect(extensionsOf(await h.gql('{ invoices(after: "garbage") { totalCount } }'))).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: 'after',
        });
        expect(extensionsOf(await h.gql('{ invoices(first: 101) { totalCount } }'))).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: 'first',
        });
      });

      it('shows an account’s balance per currency and its invoices', async () => {
        const response = await h.gql(
          `{ _entities(representations: [{ __typename: "Patient", id: "${parties.patientId}" }]) {
             ... on Patient { billingAccount { balance { amount currency } invoices(first: 5) { totalCount } } } } }`,
        );
        expect(response.data?._entities).toEqual([
          { billingAccount: { balance: [{ amount: 18000, currency: 'EUR' }], invoices: { totalCount: 3 } } },
        ]);
      });

      it('makes one store call per entity type per request, for 1 and for 30 parents', async () => {
        const patients: string[] = [];
        const appointments: string[] = [];
        const invoices: string[] = [];
        for (let index = 0; index < 30; index++) {
          const each = await h.parties();
          const visit = await h.completed(each);
          await pay({ invoiceId: visit.invoiceId, amount: 100, key: `batch-${visit.invoiceId}` });
          patients.push(each.patientId);
          appointments.push(visit.appointmentId);
          invoices.push(visit.invoiceId);
        }
        const accounts = (await h.db.selectFrom('accounts').select(['id', 'patient_id']).execute()).filter(
          (row) => patients.includes(row.patient_id),
        );
        const query = `query ($p: [_Any!]!, $a: [_Any!]!, $i: [_Any!]!, $b: [_Any!]!) {
          patients: _entities(representations: $p) { ... on Patient {
            billingAccount { id balance { amount } } invoices { totalCount edges { node { id } } } } }
          appointments: _entities(representations: $a) { ... on Appointment { invoice { id account { accountNumber } payments { id } } } }
          invoices: _entities(representations: $i) { ... on Invoice { number } }
          accounts: _entities(representations: $b) { ... on BillingAccount { accountNumber } } }`;
        for (const count of [1, 30]) {
          h.calls.clear();
          const response = await h.gql(query, {
            p: patients.slice(0, count).map((id) => ({ __typename: 'Patient', id })),
            a: appointments.slice(0, count).map((id) => ({ __typename: 'Appointment', id })),
            i: invoices.slice(0, count).map((id) => ({ __typename: 'Invoice', id })),
            b: accounts.slice(0, count).map((row) => ({ __typename: 'BillingAccount', id: row.id })),
          });
          expect(response.errors).toBeUndefined();
          const data = response.data as Record<string, Array<Record<string, unknown>>>;
          expect(data.appointments?.map((item) => (item.invoice as { id: string }).id)).toEqual(
            invoices.slice(0, count),
          );
          expect(Object.fromEntries(h.calls)).toEqual({
            accountsByPatients: 1,
            accountsByIds: 1, // Invoice.account and the BillingAccount entities, one batch
            balances: 1,
            listInvoicesByPatients: 1,
            countInvoicesByPatients: 1,
            invoicesByAppointments: 1,
            invoicesByIds: 1,
            paymentsByInvoices: 1,
          });
        }
      }, 180_000);
    });

    it('survives the consumer dying between its effect and its offset commit: the restart redelivers, one invoice', async () => {
      const parties = await h.parties();
      const { createEventConsumer, sqlInbox } = await import('@hsg/kit/events');
      const { silentLogger } = await import('@hsg/kit');
      const { ledgerSubscriptions } = await import('../src/ledger.ts');
      const { ledgerGroupFor } = await import('../src/subgraph.ts');
      const consumerOn = (transport: typeof h.transport) =>
        createEventConsumer({
          transport,
          inbox: sqlInbox(h.database),
          groupId: ledgerGroupFor(h.database),
          subscriptions: ledgerSubscriptions({
            database: h.database,
            clock: () => new Date(),
            noShowFee: undefined,
            dueDays: 14,
          }),
          logger: silentLogger(),
        });
      await h.service.workers.ledger.stop(); // commits what it did: from here on the group is ours
      // The doomed process: its effects commit, its offsets never do (it dies before the commit).
      const doomedTransport = await backend.transport();
      const dying = {
        ...doomedTransport,
        kind: doomedTransport.kind,
        ensureTopics: doomedTransport.ensureTopics.bind(doomedTransport),
        send: doomedTransport.send.bind(doomedTransport),
        close: doomedTransport.close.bind(doomedTransport),
        consume: (options: Parameters<typeof doomedTransport.consume>[0]) =>
          doomedTransport.consume({
            ...options,
            onBatch: (batch) =>
              options.onBatch({
                topic: batch.topic,
                partition: batch.partition,
                records: batch.records,
                markProcessed: () => {},
                isStopping: () => batch.isStopping(),
                heartbeat: () => batch.heartbeat(),
              }),
          }),
      };
      const doomed = consumerOn(dying);
      await doomed.start();
      const appointmentId = h.feed.newId();
      await h.feed.complete(appointmentId, parties);
      await waitFor(async () => (await h.invoiceIdOf(appointmentId)) !== undefined, 60_000);
      await doomedTransport.close(); // killed: the group's offset is still before the completion

      const restarted = consumerOn(await backend.transport());
      await restarted.start();
      try {
        await waitFor(() => restarted.stats().duplicates >= 1, 90_000);
        expect(await h.count('invoices', 'appointment_id', appointmentId)).toBe(1);
        const id = (await h.invoiceIdOf(appointmentId)) as string;
        expect((await h.outbox(id)).map((event) => event.type)).toEqual(['invoice.issued']);
      } finally {
        await restarted.stop();
      }
    }, 180_000);
  });
}
