export const notificationKinds = [
  'CRITICAL_RESULT',
  'APPOINTMENT_BOOKED',
  'APPOINTMENT_RESCHEDULED',
  'APPOINTMENT_CANCELLED',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export type RecipientKind = 'PATIENT' | 'DOCTOR' | 'CLINIC';
export type ChannelKind = 'SMTP' | 'OUTBOX';
export type NotificationStatus = 'PENDING' | 'SENT' | 'FAILED';

/** Whom a notification is for: a patient or a doctor by id, or the clinic (no id). */
export interface Recipient {
  kind: RecipientKind;
  id: string | null;
}

export interface Notification {
  id: string;
  eventId: string;
  kind: NotificationKind;
  patientId: string;
  recipient: Recipient;
  subject: string;
  body: string;
  status: NotificationStatus;
  channel: ChannelKind | null;
  attempts: number;
  createdAt: Date;
  sentAt: Date | null;
}

/**
 * Which notifications a caller may see (access.ts): all, none, one patient's (a PATIENT), or a doctor's
 * reach (a CLINICIAN: the patients they have or had appointments with, and whatever is addressed to them).
 */
export type Visibility = 'all' | 'none' | { patientId: string } | { doctorId: string };

/** A position in the newest-first (createdAt, id) order of notifications. */
export interface NotificationCursor {
  createdAt: Date;
  id: string;
}

export interface PageArgs {
  first: number;
  after: NotificationCursor | undefined;
}

export interface NotificationPage {
  notifications: Notification[];
  hasNextPage: boolean;
}

export const emptyPage: NotificationPage = { notifications: [], hasNextPage: false };

/** A notification the sender claimed for one delivery attempt (its attempts already counted). */
export interface ClaimedNotification {
  id: string;
  kind: NotificationKind;
  recipient: Recipient;
  subject: string;
  body: string;
  /** This attempt's number (1 for the first). */
  attempt: number;
  /** The patient's e-mail address as the projection holds it now (PATIENT recipients only). */
  patientEmail: string | null;
  /** Whether the patient is in the projection at all (an unknown one may still arrive). */
  patientKnown: boolean;
}
