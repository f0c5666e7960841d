import { enqueueEvents } from '@hsg/kit/events';
import {
  type AnyKysely,
  isUniqueViolation,
  retryCollisions,
  type SqlDatabase,
  violatedConstraint,
} from '@hsg/kit/sql';
import { type Kysely, type RawBuilder, type SqlBool, sql, type Transaction } from 'kysely';
import type { InvoicePage, Money, PageArgs, VisibleFilter } from './model.ts';
import type { BillingStore } from './store.ts';
import {
  type InvoiceRow,
  invoiceColumns,
  type PaymentRow,
  paymentColumns,
  type Tables,
  toAccount,
  toInvoice,
  toPayment,
} from './tables.ts';

const uuids = (ids: readonly string[]) => sql`${sql.val([...ids])}::uuid[]`;

/** Invoice columns as selected: the date as text, so no driver shifts it into a local midnight. */
const invoiceSelect = sql.join(
  invoiceColumns.map((name) => (name === 'due_date' ? sql`due_date::text as due_date` : sql.ref(name))),
);

function filterSql(filter: VisibleFilter): RawBuilder<SqlBool>[] {
  const conditions: RawBuilder<SqlBool>[] = [];
  if (filter.patientId) conditions.push(sql`patient_id = ${filter.patientId}::uuid`);
  if (filter.status && filter.status.length > 0)
    conditions.push(sql`status = any(${sql.val(filter.status)}::text[])`);
  if (filter.from) conditions.push(sql`issued_at >= ${filter.from}`);
  if (filter.to) conditions.push(sql`issued_at < ${filter.to}`);
  return conditions;
}

const whereAll = (conditions: RawBuilder<SqlBool>[]) =>
  conditions.length === 0 ? sql<SqlBool>`true` : sql.join(conditions, sql` and `);

/** Newest first: the page after the cursor holds what was issued before it. */
const afterSql = (page: PageArgs) =>
  page.after
    ? sql<SqlBool>`(issued_at, id) < (${page.after.issuedAt}, ${page.after.id}::uuid)`
    : sql<SqlBool>`true`;

export function createSqlBillingStore(database: SqlDatabase): BillingStore {
  const db = database.db as Kysely<Tables>;

  const accounts = (where: RawBuilder<SqlBool>) =>
    sql<Parameters<typeof toAccount>[0]>`
      select a.id, a.patient_id, a.account_number, a.opened_at, p.name as holder_name
      from accounts a left join patient_projection p on p.id = a.patient_id where ${where}`
      .execute(db)
      .then((result) => result.rows.map(toAccount));

  const invoices = async (executor: Kysely<Tables>, where: RawBuilder<SqlBool>, lock = false) => {
    const result = await sql<InvoiceRow>`select ${invoiceSelect} from invoices where ${where}
      ${lock ? sql`for update` : sql``}`.execute(executor);
    return result.rows.map(toInvoice);
  };

  const lockedInvoice = async (trx: Kysely<Tables>, id: string) =>
    (await invoices(trx, sql`id = ${id}::uuid`, true))[0];

  async function payOnce(
    request: Parameters<BillingStore['pay']>[0],
    decide: Parameters<BillingStore['pay']>[1],
  ) {
    return retryCollisions(() =>
      database.transaction(async (trx: Transaction<Tables>) => {
        // The invoice first: every payment of it waits here, so the key's lookup below sees any payment
        // committed before, and the amounts checked are the current ones.
        const invoice = await lockedInvoice(trx, request.invoiceId);
        const earlierRow = await trx
          .selectFrom('payments')
          .select(paymentColumns)
          .where('idempotency_key', '=', request.idempotencyKey)
          .executeTakeFirst();
        const decision = decide(invoice, earlierRow && toPayment(earlierRow));
        if ('replay' in decision) return { payment: decision.replay, invoice };
        const { payment, next } = decision;
        await trx
          .insertInto('payments')
          .values({
            id: payment.id,
            invoice_id: payment.invoiceId,
            patient_id: payment.patientId,
            amount: payment.amount.amount,
            currency: payment.amount.currency,
            method: payment.method,
            idempotency_key: payment.idempotencyKey,
            received_at: payment.receivedAt,
          } satisfies PaymentRow)
          .execute();
        await trx
          .updateTable('invoices')
          .set({
            paid_amount: next.paid.amount,
            status: next.status,
            version: next.version,
            updated_at: payment.receivedAt,
          })
          .where('id', '=', next.id)
          .execute();
        await enqueueEvents(database, trx as AnyKysely, decision.events);
        return { payment, invoice: next };
      }),
    );
  }

  return {
    async accountsByIds(ids) {
      return ids.length === 0 ? [] : accounts(sql`a.id = any(${uuids(ids)})`);
    },

    async accountsByPatients(patientIds) {
      return patientIds.length === 0 ? [] : accounts(sql`a.patient_id = any(${uuids(patientIds)})`);
    },

    async invoicesByIds(ids) {
      return ids.length === 0 ? [] : invoices(db, sql`id = any(${uuids(ids)})`);
    },

    async invoicesByNumbers(numbers) {
      return numbers.length === 0 ? [] : invoices(db, sql`number = any(${sql.val([...numbers])}::text[])`);
    },

    async invoicesByAppointments(appointmentIds) {
      return appointmentIds.length === 0
        ? []
        : invoices(db, sql`appointment_id = any(${uuids(appointmentIds)})`);
    },

    async listInvoices(filter, page) {
      const rows = await sql<InvoiceRow>`select ${invoiceSelect} from invoices
        where ${whereAll(filterSql(filter))} and ${afterSql(page)}
        order by issued_at desc, id desc limit ${page.first + 1}`.execute(db);
      return {
        invoices: rows.rows.slice(0, page.first).map(toInvoice),
        hasNextPage: rows.rows.length > page.first,
      };
    },

    async countInvoices(filter) {
      const result = await sql<{ count: number }>`select count(*) as count from invoices
        where ${whereAll(filterSql(filter))}`.execute(db);
      return Number(result.rows[0]?.count ?? 0);
    },

    async listInvoicesByPatients(patientIds, filter, page) {
      const pages = new Map<string, InvoicePage>();
      if (patientIds.length === 0) return pages;
      const where = whereAll([sql<SqlBool>`patient_id = any(${uuids(patientIds)})`, ...filterSql(filter)]);
      // row_number() per patient takes each one's first page in one statement, whatever the number.
      const ranked = await sql<InvoiceRow & { rn: number }>`
        select * from (
          select ${invoiceSelect},
            row_number() over (partition by patient_id order by issued_at desc, id desc) as rn
          from invoices where ${where} and ${afterSql(page)}
        ) ranked
        where rn <= ${page.first + 1}
        order by patient_id, issued_at desc, id desc`.execute(db);
      for (const row of ranked.rows) {
        const entry = pages.get(row.patient_id) ?? { invoices: [], hasNextPage: false };
        pages.set(row.patient_id, entry);
        if (Number(row.rn) > page.first) entry.hasNextPage = true;
        else entry.invoices.push(toInvoice(row));
      }
      return pages;
    },

    async countInvoicesByPatients(patientIds, filter) {
      if (patientIds.length === 0) return new Map();
      const where = whereAll([sql<SqlBool>`patient_id = any(${uuids(patientIds)})`, ...filterSql(filter)]);
      const counts = await sql<{ patient_id: string; count: number }>`
        select patient_id, count(*) as count from invoices where ${where} group by patient_id`.execute(db);
      return new Map(counts.rows.map((row) => [row.patient_id, Number(row.count)]));
    },

    async paymentsByInvoices(invoiceIds) {
      if (invoiceIds.length === 0) return [];
      const rows = await db
        .selectFrom('payments')
        .select(paymentColumns)
        .where('invoice_id', '=', sql<string>`any(${uuids(invoiceIds)})`)
        .orderBy('received_at')
        .orderBy('id')
        .execute();
      return rows.map(toPayment);
    },

    async balances(accountIds) {
      const balances = new Map<string, Money[]>();
      if (accountIds.length === 0) return balances;
      const rows = await sql<{ account_id: string; currency: string; amount: number }>`
        select account_id, currency, sum(total_amount - paid_amount) as amount from invoices
        where account_id = any(${uuids(accountIds)}) and status <> 'VOID'
        group by account_id, currency having sum(total_amount - paid_amount) > 0
        order by account_id, currency`.execute(db);
      for (const row of rows.rows) {
        const list = balances.get(row.account_id) ?? [];
        list.push({ amount: Number(row.amount), currency: row.currency });
        balances.set(row.account_id, list);
      }
      return balances;
    },

    async pay(request, decide) {
      // Two requests with one key for different invoices lock different rows, so one insert can lose on
      // the key's unique constraint: the rerun then sees the winner's payment and decides on it.
      for (let attempt = 1; ; attempt++) {
        try {
          return await payOnce(request, decide);
        } catch (error) {
          const keyTaken =
            isUniqueViolation(error) && (violatedConstraint(error) ?? '').includes('idempotency_key');
          if (!keyTaken || attempt >= 3) throw error;
        }
      }
    },

    changeInvoice(id, decide) {
      return retryCollisions(() =>
        database.transaction(async (trx: Transaction<Tables>) => {
          const current = await lockedInvoice(trx, id);
          if (!current) return undefined;
          const { next, events } = decide(current);
          await trx
            .updateTable('invoices')
            .set({
              status: next.status,
              paid_amount: next.paid.amount,
              void_reason: next.voidReason,
              version: next.version,
              updated_at: new Date(),
            })
            .where('id', '=', id)
            .execute();
          await enqueueEvents(database, trx as AnyKysely, events);
          return next;
        }),
      );
    },
  };
}
