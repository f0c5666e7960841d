import {
  appointmentCancelled,
  type DoctorSnapshot,
  doctorDeactivated,
  doctorRegistered,
  doctorUpdated,
  type PatientSnapshot,
  patientDeactivated,
  patientRegistered,
  patientUpdated,
} from '@hsg/contracts';
import { type CloudEvent, enqueueEvents, on, type Subscription } from '@hsg/kit/events';
import { type AnyKysely, assertIdentifier, type SqlDatabase } from '@hsg/kit/sql';
import { sql, type Transaction } from 'kysely';
import { appointmentEvent } from './domain.ts';
import { appointmentColumns, type Tables, toAppointment } from './tables.ts';

/** Projection commits are announced here (NOTIFY, so every instance's waiting bookings wake). */
export const projectionChannel = (namespace: string): string =>
  assertIdentifier('channel', `appt_projection_${namespace}`.slice(0, 63));

export interface ProjectionOptions {
  database: SqlDatabase;
  clock?: () => Date;
}

/**
 * Keeps patient_projection and doctor_projection from the patient and doctor events. A snapshot is
 * applied only when newer than the stored one, so replays and out-of-order deliveries change nothing.
 * A deactivation also cancels the party's future BOOKED appointments, in the same transaction, each with
 * its `appointment.cancelled` event.
 */
export function projectionSubscriptions({
  database,
  clock = () => new Date(),
}: ProjectionOptions): Subscription[] {
  const channel = projectionChannel(database.namespace);

  async function projectPatient(trx: Transaction<Tables>, patient: PatientSnapshot): Promise<void> {
    await sql`insert into patient_projection (id, active, version)
      values (${patient.id}, ${patient.active}, ${patient.version})
      on conflict (id) do update set active = excluded.active, version = excluded.version, projected_at = now()
      where patient_projection.version < excluded.version`.execute(trx);
    await database.notify(trx, channel);
  }

  async function projectDoctor(trx: Transaction<Tables>, doctor: DoctorSnapshot): Promise<void> {
    await sql`insert into doctor_projection (id, active, time_zone, working_hours, version)
      values (${doctor.id}, ${doctor.active}, ${doctor.timeZone}, ${JSON.stringify(doctor.workingHours)}::jsonb,
        ${doctor.version})
      on conflict (id) do update set active = excluded.active, time_zone = excluded.time_zone,
        working_hours = excluded.working_hours, version = excluded.version, projected_at = now()
      where doctor_projection.version < excluded.version`.execute(trx);
    await database.notify(trx, channel);
  }

  /** Cancels the party's future BOOKED appointments if the projection (after this event) says inactive. */
  async function cancelFuture(
    trx: Transaction<Tables>,
    party: 'patient' | 'doctor',
    id: string,
    event: CloudEvent,
  ): Promise<void> {
    const table = party === 'patient' ? 'patient_projection' : 'doctor_projection';
    const projected = await trx.selectFrom(table).select('active').where('id', '=', id).executeTakeFirst();
    if (projected?.active !== false) return; // a newer snapshot already said active again
    const now = clock();
    const rows = await trx
      .updateTable('appointments')
      .set((eb) => ({
        status: 'CANCELLED',
        cancellation_reason: `${party} deactivated`,
        version: eb('version', '+', 1),
        updated_at: now,
      }))
      .where(party === 'patient' ? 'patient_id' : 'doctor_id', '=', id)
      .where('status', '=', 'BOOKED')
      .where('start_at', '>', now)
      .returning(appointmentColumns)
      .execute();
    const cancelledBy = party === 'patient' ? 'PATIENT_DEACTIVATED' : 'DOCTOR_DEACTIVATED';
    await enqueueEvents(
      database,
      trx as AnyKysely,
      rows.map((row) =>
        appointmentEvent(appointmentCancelled, toAppointment(row), { cancelledBy }, event.traceparent),
      ),
    );
  }

  return [
    on(patientRegistered, (event, trx) => projectPatient(trx, event.data.patient)),
    on(patientUpdated, (event, trx) => projectPatient(trx, event.data.patient)),
    on(patientDeactivated, async (event, trx) => {
      await projectPatient(trx, event.data.patient);
      await cancelFuture(trx, 'patient', event.data.patient.id, event);
    }),
    on(doctorRegistered, (event, trx) => projectDoctor(trx, event.data.doctor)),
    on(doctorUpdated, (event, trx) => projectDoctor(trx, event.data.doctor)),
    on(doctorDeactivated, async (event, trx) => {
      await projectDoctor(trx, event.data.doctor);
      await cancelFuture(trx, 'doctor', event.data.doctor.id, event);
    }),
  ];
}
