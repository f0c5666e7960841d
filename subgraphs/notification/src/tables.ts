import type { AppointmentStatus } from '@hsg/contracts';
import type {
  ChannelKind,
  Notification,
  NotificationKind,
  NotificationStatus,
  RecipientKind,
} from './model.ts';

/** The subgraph's tables as Kysely sees them (migrations/0001_notification.sql). */
export interface NotificationRow {
  id: string;
  event_id: string;
  kind: NotificationKind;
  patient_id: string;
  recipient_kind: RecipientKind;
  recipient_id: string | null;
  subject: string;
  body: string;
  status: NotificationStatus;
  channel: ChannelKind | null;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

export interface Tables {
  notifications: NotificationRow;
  patient_projection: { id: string; mrn: string; email: string | null; active: boolean; version: number };
  doctor_projection: {
    id: string;
    license_number: string;
    time_zone: string;
    active: boolean;
    version: number;
  };
  appointment_projection: {
    id: string;
    patient_id: string;
    doctor_id: string;
    start_at: Date;
    status: AppointmentStatus;
    version: number;
  };
  care_relationships: { doctor_id: string; patient_id: string };
  observation_projection: { id: string; critical: boolean; version: number };
}

/** What the API reads of a notification (not its retry bookkeeping). */
export const notificationColumns = [
  'id',
  'event_id',
  'kind',
  'patient_id',
  'recipient_kind',
  'recipient_id',
  'subject',
  'body',
  'status',
  'channel',
  'attempts',
  'created_at',
  'sent_at',
] as const;

export type NotificationSelect = Pick<NotificationRow, (typeof notificationColumns)[number]>;

const instant = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

export const toNotification = (row: NotificationSelect): Notification => ({
  id: row.id,
  eventId: row.event_id,
  kind: row.kind,
  patientId: row.patient_id,
  recipient: { kind: row.recipient_kind, id: row.recipient_id },
  subject: row.subject,
  body: row.body,
  status: row.status,
  channel: row.channel,
  attempts: Number(row.attempts),
  createdAt: instant(row.created_at),
  sentAt: row.sent_at === null ? null : instant(row.sent_at),
});
