import {
  type AppointmentSnapshot,
  appointmentBooked,
  appointmentCancelled,
  appointmentCompleted,
  appointmentNoShow,
  appointmentRescheduled,
  type DoctorSnapshot,
  doctorDeactivated,
  doctorRegistered,
  doctorUpdated,
  type ObservationSnapshot,
  observationCorrected,
  observationRecorded,
  type PatientSnapshot,
  patientDeactivated,
  patientRegistered,
  patientUpdated,
} from '@hsg/contracts';
import type { Logger } from '@hsg/kit';
import { type CloudEvent, on, type Subscription } from '@hsg/kit/events';
import { assertIdentifier, type SqlDatabase } from '@hsg/kit/sql';
import { sql, type Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import {
  appointmentBookedMessage,
  appointmentCancelledMessage,
  appointmentRescheduledMessage,
  type CriticalRoute,
  criticalResultMessage,
  type Message,
} from './messages.ts';
import type { NotificationKind, Recipient } from './model.ts';
import type { Tables } from './tables.ts';

/**
 * The inbox's consumer group, named after the schema: its offsets only make sense with the tables they
 * filled, so a fresh schema (a reset, a test) replays the topics instead of inheriting another's offsets.
 */
export const inboxGroupFor = (database: SqlDatabase): string => `notification.inbox.${database.namespace}`;

/** A new notification's commit NOTIFYs this channel, so the sender wakes at once on every instance. */
export const senderChannel = (namespace: string): string =>
  assertIdentifier('channel', `notif_sender_${namespace}`.slice(0, 63));

export interface ConsumerOptions {
  database: SqlDatabase;
  clock: () => Date;
  logger: Logger;
  /** An event older than this when consumed updates the projections but notifies nobody. */
  maxEventAgeMs: number;
}

type Trx = Transaction<Tables>;

interface NewNotification {
  kind: NotificationKind;
  patientId: string;
  recipient: Recipient;
  message: Message;
}

const lower = (id: string) => id.toLowerCase();

/** Results in these states are withdrawn, whatever their flags say: nobody is called about them. */
const withdrawn = new Set<ObservationSnapshot['status']>(['CANCELLED', 'ENTERED_IN_ERROR']);

/**
 * Notification's consumer of patient, doctor, appointment and observation events (ADR 0024). It keeps
 * the projections the texts and recipients need, and writes one notification (PENDING) per qualifying
 * event, in the inbox's transaction: the notification and the event's record commit together, so a
 * redelivered event is skipped by the inbox; underneath, the unique (event_id, kind) holds even when a
 * second group or a replay delivers it again. The sender (sender.ts) delivers what this writes.
 */
export function notificationSubscriptions({
  database,
  clock,
  logger,
  maxEventAgeMs,
}: ConsumerOptions): Subscription[] {
  const channel = senderChannel(database.namespace);

  async function projectPatient(trx: Trx, patient: PatientSnapshot): Promise<void> {
    await sql`insert into patient_projection (id, mrn, email, active, version)
      values (${lower(patient.id)}, ${patient.mrn}, ${patient.email}, ${patient.active}, ${patient.version})
      on conflict (id) do update set mrn = excluded.mrn, email = excluded.email, active = excluded.active,
        version = excluded.version, projected_at = now()
      where patient_projection.version < excluded.version`.execute(trx);
  }

  async function projectDoctor(trx: Trx, doctor: DoctorSnapshot): Promise<void> {
    await sql`insert into doctor_projection (id, license_number, time_zone, active, version)
      values (${lower(doctor.id)}, ${doctor.licenseNumber.trim().toUpperCase()}, ${doctor.timeZone}, ${doctor.active},
        ${doctor.version})
      on conflict (id) do update set license_number = excluded.license_number,
        time_zone = excluded.time_zone, active = excluded.active, version = excluded.version,
        projected_at = now()
      where doctor_projection.version < excluded.version`.execute(trx);
  }

  async function projectAppointment(trx: Trx, appointment: AppointmentSnapshot): Promise<void> {
    const patientId = lower(appointment.patientId);
    const doctorId = lower(appointment.doctorId);
    await sql`insert into appointment_projection (id, patient_id, doctor_id, start_at, status, version)
      values (${lower(appointment.id)}, ${patientId}, ${doctorId}, ${new Date(appointment.start)},
        ${appointment.status}, ${appointment.version})
      on conflict (id) do update set patient_id = excluded.patient_id, doctor_id = excluded.doctor_id,
        start_at = excluded.start_at, status = excluded.status, version = excluded.version
      where appointment_projection.version < excluded.version`.execute(trx);
    // A CLINICIAN's reach: only added to (a cancelled appointment still counts, as everywhere else).
    await trx
      .insertInto('care_relationships')
      .values({ doctor_id: doctorId, patient_id: patientId })
      .onConflict((conflict) => conflict.columns(['doctor_id', 'patient_id']).doNothing())
      .execute();
  }

  /** Whether an event is too old to notify anyone about (a first start replaying the topics' history). */
  function stale(event: CloudEvent): boolean {
    return clock().getTime() - new Date(event.time).getTime() > maxEventAgeMs;
  }

  const skipped = (event: CloudEvent, kind: NotificationKind, reason: string) =>
    logger.debug({ eventId: event.id, type: event.type, kind, reason }, 'no notification for event');

  /** Writes the event's notification unless it has one of its kind already; wakes the sender on commit. */
  async function notify(trx: Trx, event: CloudEvent, notification: NewNotification): Promise<void> {
    const now = clock();
    const inserted = await trx
      .insertInto('notifications')
      .values({
        id: uuidv7({ msecs: now.getTime() }),
        event_id: event.id,
        kind: notification.kind,
        patient_id: lower(notification.patientId),
        recipient_kind: notification.recipient.kind,
        recipient_id: notification.recipient.id,
        subject: notification.message.subject,
        body: notification.message.body,
        status: 'PENDING',
        channel: null,
        attempts: 0,
        next_attempt_at: now,
        last_error: null,
        created_at: now,
        sent_at: null,
      })
      .onConflict((conflict) => conflict.columns(['event_id', 'kind']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return; // the unique (event_id, kind) decided: it was written before
    await database.notify(trx, channel);
    logger.info(
      {
        notificationId: inserted.id,
        eventId: event.id,
        kind: notification.kind,
        recipientKind: notification.recipient.kind,
      },
      'notification created',
    );
  }

  async function timeZoneOf(trx: Trx, doctorId: string): Promise<string | null> {
    const doctor = await trx
      .selectFrom('doctor_projection')
      .select('time_zone')
      .where('id', '=', lower(doctorId))
      .executeTakeFirst();
    return doctor?.time_zone ?? null;
  }

  /**
   * An appointment change the patient hears of: after its projection, unless the event is stale or the
   * appointment already began when it happened (a visit recorded afterwards, a cancellation of the past).
   */
  async function appointmentChanged(
    trx: Trx,
    event: CloudEvent,
    kind: NotificationKind,
    appointment: AppointmentSnapshot,
    message: (timeZone: string | null) => Message,
  ): Promise<void> {
    await projectAppointment(trx, appointment);
    if (stale(event)) return skipped(event, kind, 'stale');
    if (new Date(appointment.start).getTime() <= new Date(event.time).getTime())
      return skipped(event, kind, 'in the past');
    const timeZone = await timeZoneOf(trx, appointment.doctorId);
    await notify(trx, event, {
      kind,
      patientId: appointment.patientId,
      recipient: { kind: 'PATIENT', id: lower(appointment.patientId) },
      message: message(timeZone),
    });
  }

  /**
   * Whom a critical result goes to: the ordering doctor (the lab's ordering provider matched against an
   * active doctor's license number); else the doctor of the patient's most recent kept appointment
   * (BOOKED or COMPLETED, begun by the time the result was issued, the doctor not known to be inactive);
   * else the clinic.
   */
  async function routeOf(
    trx: Trx,
    observation: ObservationSnapshot,
  ): Promise<{ recipient: Recipient; route: CriticalRoute }> {
    // Doctor keeps license numbers upper-case (its validation); a lab may send them in any case.
    const identifier = observation.source.orderingProvider?.identifier.trim().toUpperCase();
    if (identifier) {
      const ordering = await trx
        .selectFrom('doctor_projection')
        .select(['id', 'license_number'])
        .where('license_number', '=', identifier)
        .where('active', '=', true)
        .orderBy('version', 'desc')
        .orderBy('id')
        .executeTakeFirst();
      if (ordering)
        return {
          recipient: { kind: 'DOCTOR', id: ordering.id },
          route: { to: 'ORDERING_DOCTOR', licenseNumber: ordering.license_number },
        };
    }
    const latest = await sql<{ doctor_id: string; license_number: string | null }>`
      select a.doctor_id, d.license_number
      from appointment_projection a left join doctor_projection d on d.id = a.doctor_id
      where a.patient_id = ${lower(observation.patientId)}::uuid
        and a.status in ('BOOKED', 'COMPLETED')
        and a.start_at <= ${new Date(observation.issued)}
        and coalesce(d.active, true)
      order by a.start_at desc, a.id desc
      limit 1`.execute(trx);
    const row = latest.rows[0];
    if (row)
      return {
        recipient: { kind: 'DOCTOR', id: row.doctor_id },
        route: { to: 'LAST_APPOINTMENT_DOCTOR', licenseNumber: row.license_number },
      };
    return { recipient: { kind: 'CLINIC', id: null }, route: { to: 'CLINIC' } };
  }

  /**
   * Keeps the observation's critical flag and answers whether it was critical before this version (its
   * latest version heard of; false when none was). A version not newer than the one kept changes nothing.
   */
  async function projectObservation(
    trx: Trx,
    observation: ObservationSnapshot,
  ): Promise<{ newer: boolean; wasCritical: boolean }> {
    const id = lower(observation.id);
    // One round trip: the row as it was (locked) and the upsert. Every part of the statement sees the same
    // snapshot, so `kept` is the version before this one; Postgres runs the unread `written` all the same.
    const { rows } = await sql<{ critical: boolean | null; version: number | null }>`
      with kept as (
        select critical, version from observation_projection where id = ${id} for update
      ), written as (
        insert into observation_projection (id, critical, version)
        values (${id}, ${observation.critical}, ${observation.version})
        on conflict (id) do update set critical = excluded.critical, version = excluded.version
        where observation_projection.version < excluded.version
      )
      select (select critical from kept) as critical, (select version from kept) as version`.execute(trx);
    const before =
      rows[0]?.version == null
        ? undefined
        : { critical: rows[0].critical === true, version: Number(rows[0].version) };
    if (before && before.version >= observation.version)
      return { newer: false, wasCritical: before.critical };
    return { newer: true, wasCritical: before?.critical ?? false };
  }

  async function criticalResult(
    trx: Trx,
    event: CloudEvent,
    observation: ObservationSnapshot,
    becameCritical: (state: { newer: boolean; wasCritical: boolean }) => boolean,
  ): Promise<void> {
    const state = await projectObservation(trx, observation);
    if (!observation.critical || withdrawn.has(observation.status) || !becameCritical(state)) return;
    if (stale(event)) return skipped(event, 'CRITICAL_RESULT', 'stale');
    const { recipient, route } = await routeOf(trx, observation);
    const patient = await trx
      .selectFrom('patient_projection')
      .select('mrn')
      .where('id', '=', lower(observation.patientId))
      .executeTakeFirst();
    await notify(trx, event, {
      kind: 'CRITICAL_RESULT',
      patientId: observation.patientId,
      recipient,
      message: criticalResultMessage({
        mrn: patient?.mrn ?? null,
        patientId: lower(observation.patientId),
        observationId: lower(observation.id),
        route,
      }),
    });
  }

  return [
    on(patientRegistered, (event, trx) => projectPatient(trx, event.data.patient)),
    on(patientUpdated, (event, trx) => projectPatient(trx, event.data.patient)),
    on(patientDeactivated, (event, trx) => projectPatient(trx, event.data.patient)),
    on(doctorRegistered, (event, trx) => projectDoctor(trx, event.data.doctor)),
    on(doctorUpdated, (event, trx) => projectDoctor(trx, event.data.doctor)),
    on(doctorDeactivated, (event, trx) => projectDoctor(trx, event.data.doctor)),
    on(appointmentBooked, (event, trx) => {
      const { appointment } = event.data;
      return appointmentChanged(trx, event, 'APPOINTMENT_BOOKED', appointment, (timeZone) =>
        appointmentBookedMessage({
          appointmentId: lower(appointment.id),
          start: appointment.start,
          timeZone,
        }),
      );
    }),
    on(appointmentRescheduled, (event, trx) => {
      const { appointment, previous } = event.data;
      return appointmentChanged(trx, event, 'APPOINTMENT_RESCHEDULED', appointment, (timeZone) =>
        appointmentRescheduledMessage({
          appointmentId: lower(appointment.id),
          start: appointment.start,
          previousStart: previous.start,
          timeZone,
        }),
      );
    }),
    on(appointmentCancelled, async (event, trx) => {
      const { appointment, cancelledBy } = event.data;
      // A deactivated patient's bookings are cancelled by the system: nobody is written to about them.
      if (cancelledBy === 'PATIENT_DEACTIVATED') {
        await projectAppointment(trx, appointment);
        return skipped(event, 'APPOINTMENT_CANCELLED', 'patient deactivated');
      }
      return appointmentChanged(trx, event, 'APPOINTMENT_CANCELLED', appointment, (timeZone) =>
        appointmentCancelledMessage({
          appointmentId: lower(appointment.id),
          start: appointment.start,
          timeZone,
        }),
      );
    }),
    on(appointmentCompleted, (event, trx) => projectAppointment(trx, event.data.appointment)),
    on(appointmentNoShow, (event, trx) => projectAppointment(trx, event.data.appointment)),
    // A new result notifies when it is critical; a correction only when it makes a result critical that
    // was not (a critical result corrected to another critical value was notified already).
    on(observationRecorded, (event, trx) =>
      criticalResult(trx, event, event.data.observation, ({ newer }) => newer),
    ),
    on(observationCorrected, (event, trx) =>
      criticalResult(trx, event, event.data.observation, ({ newer, wasCritical }) => newer && !wasCritical),
    ),
  ];
}
