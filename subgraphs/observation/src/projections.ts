import {
  type AppointmentSnapshot,
  appointmentBooked,
  appointmentCancelled,
  appointmentCompleted,
  appointmentNoShow,
  appointmentRescheduled,
  type PatientSnapshot,
  patientDeactivated,
  patientRegistered,
  patientUpdated,
} from '@hsg/contracts';
import { on, type Subscription } from '@hsg/kit/events';
import { assertIdentifier, type SqlDatabase } from '@hsg/kit/sql';
import { sql, type Transaction } from 'kysely';
import type { Tables } from './tables.ts';

/** Projection commits are announced here (NOTIFY), so a waiting recordLabResults wakes at once. */
export const projectionChannel = (namespace: string): string =>
  assertIdentifier('channel', `obs_projection_${namespace}`.slice(0, 63));

/** Named after the schema: its offsets only make sense with the tables they filled. */
export const projectionGroupFor = (database: SqlDatabase): string =>
  `observation.projections.${database.namespace}`;

/**
 * Keeps patient_projection (id, MRN: whom a lab batch may name) from patient.* and care_relationships
 * (a CLINICIAN's reach, as the patient subgraph keeps it) from appointment.*. A patient snapshot is
 * applied only when newer; care pairs are only added (a cancelled appointment still counts), so replays
 * and out-of-order deliveries change nothing.
 */
export function projectionSubscriptions(database: SqlDatabase): Subscription[] {
  const channel = projectionChannel(database.namespace);

  async function projectPatient(trx: Transaction<Tables>, patient: PatientSnapshot): Promise<void> {
    await sql`insert into patient_projection (id, mrn, active, version)
      values (${patient.id}, ${patient.mrn}, ${patient.active}, ${patient.version})
      on conflict (id) do update set mrn = excluded.mrn, active = excluded.active, version = excluded.version,
        projected_at = now()
      where patient_projection.version < excluded.version`.execute(trx);
    await database.notify(trx, channel);
  }

  const care = async (trx: Transaction<Tables>, appointment: AppointmentSnapshot): Promise<void> => {
    await trx
      .insertInto('care_relationships')
      .values({ doctor_id: appointment.doctorId, patient_id: appointment.patientId })
      .onConflict((conflict) => conflict.columns(['doctor_id', 'patient_id']).doNothing())
      .execute();
  };

  return [
    on(patientRegistered, (event, trx) => projectPatient(trx, event.data.patient)),
    on(patientUpdated, (event, trx) => projectPatient(trx, event.data.patient)),
    on(patientDeactivated, (event, trx) => projectPatient(trx, event.data.patient)),
    on(appointmentBooked, (event, trx) => care(trx, event.data.appointment)),
    on(appointmentRescheduled, (event, trx) => care(trx, event.data.appointment)),
    on(appointmentCancelled, (event, trx) => care(trx, event.data.appointment)),
    on(appointmentCompleted, (event, trx) => care(trx, event.data.appointment)),
    on(appointmentNoShow, (event, trx) => care(trx, event.data.appointment)),
  ];
}
