import {
  type AppointmentSnapshot,
  appointmentBooked,
  appointmentCancelled,
  appointmentCompleted,
  appointmentNoShow,
  appointmentRescheduled,
} from '@hsg/contracts';
import type { Logger } from '@hsg/kit';
import { createEventConsumer, type EventConsumer, type EventTransport, on, sqlInbox } from '@hsg/kit/events';
import type { SqlDatabase } from '@hsg/kit/sql';
import type { Transaction } from 'kysely';
import type { Tables } from './store-sql.ts';

/**
 * The projections' consumer group. Its committed offsets only make sense together with the table they
 * filled, so it is named after the schema (like the appointment subgraph's): a fresh schema replays.
 */
export const projectionGroupFor = (database: SqlDatabase): string =>
  `patient.projections.${database.namespace}`;

/**
 * Keeps `care_relationships` (which doctor has or had an appointment with which patient, for the
 * CLINICIAN rules in access.ts) from the appointment events. Every appointment event carries both
 * parties, so each records the pair (a booking first, normally), keeping the earliest booking time. Rows
 * are only ever added, a cancelled appointment still counts: replays and out-of-order deliveries change
 * nothing, and the inbox skips redeliveries.
 */
export function createCareRelationshipsProjection(options: {
  database: SqlDatabase;
  transport: EventTransport;
  logger: Logger;
}): EventConsumer {
  const record = async (trx: Transaction<Tables>, appointment: AppointmentSnapshot) => {
    await trx
      .insertInto('care_relationships')
      .values({
        doctor_id: appointment.doctorId,
        patient_id: appointment.patientId,
        first_booked_at: new Date(appointment.createdAt),
      })
      .onConflict((conflict) =>
        conflict.columns(['doctor_id', 'patient_id']).doUpdateSet((eb) => ({
          first_booked_at: eb.fn('least', ['care_relationships.first_booked_at', 'excluded.first_booked_at']),
        })),
      )
      .execute();
  };
  return createEventConsumer({
    transport: options.transport,
    inbox: sqlInbox(options.database),
    groupId: projectionGroupFor(options.database),
    subscriptions: [
      on(appointmentBooked, (event, trx) => record(trx, event.data.appointment)),
      on(appointmentRescheduled, (event, trx) => record(trx, event.data.appointment)),
      on(appointmentCancelled, (event, trx) => record(trx, event.data.appointment)),
      on(appointmentCompleted, (event, trx) => record(trx, event.data.appointment)),
      on(appointmentNoShow, (event, trx) => record(trx, event.data.appointment)),
    ],
    logger: options.logger,
  });
}
