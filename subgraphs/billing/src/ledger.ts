import {
  type AppointmentSnapshot,
  appointmentCancelled,
  appointmentCompleted,
  appointmentNoShow,
  billingAccountOpened,
  type DoctorSnapshot,
  doctorDeactivated,
  doctorRegistered,
  doctorUpdated,
  invoiceIssued,
  type PatientSnapshot,
  patientRegistered,
  patientUpdated,
} from '@hsg/contracts';
import { type CloudEvent, enqueueEvents, eventsFrom, on, type Subscription } from '@hsg/kit/events';
import type { AnyKysely, SqlDatabase } from '@hsg/kit/sql';
import { sql, type Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { type Invoice, toInvoiceSnapshot } from './model.ts';
import type { Tables } from './tables.ts';

export const SOURCE = 'urn:hsg:subgraph:billing';
export const billingEvent = eventsFrom(SOURCE);

/** The largest amount an invoice can hold (GraphQL's Int, and the tables' int columns). */
export const MAX_AMOUNT = 2_147_483_647;

export interface LedgerOptions {
  database: SqlDatabase;
  clock: () => Date;
  /** Minor units for a NO_SHOW; undefined: no-shows are not invoiced. */
  noShowFee: number | undefined;
  dueDays: number;
}

type Trx = Transaction<Tables>;

const fullName = (name: { given: string[]; family: string }) =>
  [...name.given, name.family].filter((part) => part.length > 0).join(' ');

/** The issue date plus the term, as YYYY-MM-DD (UTC calendar days). */
export function dueDateOf(issuedAt: Date, dueDays: number): string {
  const due = new Date(Date.UTC(issuedAt.getUTCFullYear(), issuedAt.getUTCMonth(), issuedAt.getUTCDate()));
  due.setUTCDate(due.getUTCDate() + dueDays);
  return due.toISOString().slice(0, 10);
}

/**
 * Billing's consumer of patient, doctor and appointment events (ADR 0019): accounts on registration,
 * a fee projection per doctor, and one invoice per billable visit. Each handler runs in the inbox's
 * transaction, so an effect and its event's record commit together; the unique constraints (one account
 * per patient, one invoice per appointment) hold even if a second group or a bug replays an event.
 */
export function ledgerSubscriptions({ database, clock, noShowFee, dueDays }: LedgerOptions): Subscription[] {
  /** The patient's account, opened now if there is none yet (its event only when this call opened it). */
  async function ensureAccount(trx: Trx, patientId: string, cause: CloudEvent): Promise<string> {
    const opened = await sql<{ id: string; account_number: string; opened_at: Date }>`
      insert into accounts (id, patient_id, account_number, opened_at)
      values (${uuidv7()}, ${patientId}, 'ACC-' || lpad(nextval('account_number_seq')::text, 6, '0'), ${clock()})
      on conflict (patient_id) do nothing
      returning id, account_number, opened_at`.execute(trx);
    const row = opened.rows[0];
    if (row) {
      const account = {
        id: row.id,
        patientId,
        accountNumber: row.account_number,
        openedAt: new Date(row.opened_at).toISOString(),
      };
      await enqueueEvents(database, trx as AnyKysely, [
        billingEvent(billingAccountOpened, row.id, { account }, { traceparent: cause.traceparent }),
      ]);
      return row.id;
    }
    const existing = await trx
      .selectFrom('accounts')
      .select('id')
      .where('patient_id', '=', patientId)
      .executeTakeFirstOrThrow();
    return existing.id;
  }

  async function projectPatient(trx: Trx, patient: PatientSnapshot, event: CloudEvent): Promise<void> {
    await sql`insert into patient_projection (id, name, version)
      values (${patient.id}, ${fullName(patient.name)}, ${patient.version})
      on conflict (id) do update set name = excluded.name, version = excluded.version, projected_at = now()
      where patient_projection.version < excluded.version`.execute(trx);
    await ensureAccount(trx, patient.id, event);
  }

  /**
   * Completions and the doctor's snapshots of one doctor take this lock first, so a completion cannot
   * miss a fee committing meanwhile (and stay pending for good), nor a snapshot a completion.
   */
  const lockDoctor = (trx: Trx, doctorId: string) =>
    sql`select pg_advisory_xact_lock(hashtext(${`billing.doctor.${doctorId}`}))`.execute(trx);

  async function projectDoctor(trx: Trx, doctor: DoctorSnapshot, event: CloudEvent): Promise<void> {
    await lockDoctor(trx, doctor.id);
    // A fee beyond what an invoice can hold is not a price billing can use: the visits stay pending.
    if (doctor.consultationFee.amount <= MAX_AMOUNT) {
      await sql`insert into doctor_projection (id, name, fee_amount, fee_currency, version)
        values (${doctor.id}, ${fullName(doctor.name)}, ${doctor.consultationFee.amount},
          ${doctor.consultationFee.currency}, ${doctor.version})
        on conflict (id) do update set name = excluded.name, fee_amount = excluded.fee_amount,
          fee_currency = excluded.fee_currency, version = excluded.version, projected_at = now()
        where doctor_projection.version < excluded.version`.execute(trx);
    }
    await issuePending(trx, { doctorId: doctor.id }, event);
  }

  /** Records the visit's outcome once (the first outcome heard wins: a cancellation is never invoiced). */
  async function recordVisit(
    trx: Trx,
    appointment: AppointmentSnapshot,
    outcome: 'COMPLETED' | 'NO_SHOW' | 'CANCELLED',
    event: CloudEvent,
  ): Promise<void> {
    const billable = outcome === 'COMPLETED' || (outcome === 'NO_SHOW' && noShowFee !== undefined);
    if (billable) await lockDoctor(trx, appointment.doctorId);
    await trx
      .insertInto('visits')
      .values({
        appointment_id: appointment.id,
        patient_id: appointment.patientId,
        doctor_id: appointment.doctorId,
        outcome,
        billable,
        invoice_id: null,
        recorded_at: clock(),
      })
      .onConflict((oc) => oc.column('appointment_id').doNothing())
      .execute();
    if (billable) await issuePending(trx, { appointmentId: appointment.id }, event);
  }

  /** Issues an invoice for every pending visit selected whose doctor's fee is known. */
  async function issuePending(
    trx: Trx,
    which: { doctorId: string } | { appointmentId: string },
    event: CloudEvent,
  ): Promise<void> {
    const pending = await trx
      .selectFrom('visits')
      .innerJoin('doctor_projection', 'doctor_projection.id', 'visits.doctor_id')
      .select([
        'visits.appointment_id',
        'visits.patient_id',
        'visits.outcome',
        'doctor_projection.name as doctor_name',
        'doctor_projection.fee_amount',
        'doctor_projection.fee_currency',
      ])
      .where('visits.billable', '=', true)
      .where('visits.invoice_id', 'is', null)
      .where((eb) =>
        'doctorId' in which
          ? eb('visits.doctor_id', '=', which.doctorId)
          : eb('visits.appointment_id', '=', which.appointmentId),
      )
      .forUpdate('visits')
      .execute();
    for (const visit of pending) {
      const accountId = await ensureAccount(trx, visit.patient_id, event);
      const noShow = visit.outcome === 'NO_SHOW';
      const price = {
        amount: noShow ? (noShowFee as number) : Number(visit.fee_amount),
        currency: visit.fee_currency,
      };
      const issuedAt = clock();
      const lines = [
        {
          description: noShow ? 'No-show fee' : `Consultation — ${visit.doctor_name}`,
          quantity: 1,
          unitPrice: price,
          amount: price,
        },
      ];
      const id = uuidv7();
      const inserted = await sql<{ number: string }>`
        insert into invoices (id, number, account_id, patient_id, appointment_id, lines, currency, total_amount,
          paid_amount, status, issued_at, due_date, void_reason, version, updated_at)
        values (${id}, 'INV-' || ${String(issuedAt.getUTCFullYear())} || '-' ||
            lpad(nextval('invoice_number_seq')::text, 6, '0'),
          ${accountId}, ${visit.patient_id}, ${visit.appointment_id}, ${JSON.stringify(lines)}::jsonb,
          ${price.currency}, ${price.amount}, 0, 'ISSUED', ${issuedAt}, ${dueDateOf(issuedAt, dueDays)}::date,
          null, 1, ${issuedAt})
        on conflict (appointment_id) do nothing
        returning number`.execute(trx);
      const number = inserted.rows[0]?.number;
      if (number === undefined) continue; // invoiced already (the unique constraint decided)
      await trx
        .updateTable('visits')
        .set({ invoice_id: id })
        .where('appointment_id', '=', visit.appointment_id)
        .execute();
      const invoice: Invoice = {
        id,
        number,
        accountId,
        patientId: visit.patient_id,
        appointmentId: visit.appointment_id,
        lines,
        total: price,
        paid: { amount: 0, currency: price.currency },
        status: 'ISSUED',
        issuedAt,
        dueDate: dueDateOf(issuedAt, dueDays),
        voidReason: null,
        version: 1,
      };
      await enqueueEvents(database, trx as AnyKysely, [
        billingEvent(
          invoiceIssued,
          id,
          { invoice: toInvoiceSnapshot(invoice) },
          { traceparent: event.traceparent },
        ),
      ]);
    }
  }

  return [
    on(patientRegistered, (event, trx) => projectPatient(trx, event.data.patient, event)),
    on(patientUpdated, (event, trx) => projectPatient(trx, event.data.patient, event)),
    on(doctorRegistered, (event, trx) => projectDoctor(trx, event.data.doctor, event)),
    on(doctorUpdated, (event, trx) => projectDoctor(trx, event.data.doctor, event)),
    on(doctorDeactivated, (event, trx) => projectDoctor(trx, event.data.doctor, event)),
    on(appointmentCompleted, (event, trx) => recordVisit(trx, event.data.appointment, 'COMPLETED', event)),
    on(appointmentNoShow, (event, trx) => recordVisit(trx, event.data.appointment, 'NO_SHOW', event)),
    on(appointmentCancelled, (event, trx) => recordVisit(trx, event.data.appointment, 'CANCELLED', event)),
  ];
}
