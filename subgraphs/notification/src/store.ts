import type {
  ChannelKind,
  ClaimedNotification,
  Notification,
  NotificationPage,
  PageArgs,
  Visibility,
} from './model.ts';

/** A visibility that lets something through (the domain answers 'none' without asking the store). */
export type StoreVisibility = Exclude<Visibility, 'none'>;

/**
 * Where the API reads notifications (the consumer in consumer.ts writes them). Lookups take many ids at
 * once so a request makes one call per kind of lookup, whatever the number of parents. Implementation:
 * SQL on Postgres and PGlite (store-sql.ts).
 */
export interface NotificationStore {
  notificationsByIds(ids: readonly string[]): Promise<Notification[]>;
  /** One newest-first page per patient, holding only what `visible` lets through; every patient in one call. */
  listByPatients(
    patientIds: readonly string[],
    visible: StoreVisibility,
    page: PageArgs,
  ): Promise<Map<string, NotificationPage>>;
  countByPatients(patientIds: readonly string[], visible: StoreVisibility): Promise<Map<string, number>>;
  /**
   * A CLINICIAN's reach over these patients: those they have or had an appointment with (`cared`) and
   * those with a notification addressed to them (`addressed`).
   */
  clinicianReach(
    doctorId: string,
    patientIds: readonly string[],
  ): Promise<{ cared: string[]; addressed: string[] }>;
}

/**
 * The sender's side of the notifications table (the outbox of mail): claim what is due, then record how
 * the attempt went. Every mark names the attempt it concludes and changes nothing when the row moved on
 * (another sender took it over after this one's claim ran out, or it is SENT or FAILED already).
 */
export interface NotificationOutbox {
  /**
   * Up to `limit` PENDING notifications due at `now`, oldest first, each claimed for one attempt: its
   * attempts counted and its next attempt pushed to `claimUntil`, so no other pass takes it meanwhile.
   */
  claimDue(now: Date, claimUntil: Date, limit: number): Promise<ClaimedNotification[]>;
  markSent(id: string, attempt: number, channel: ChannelKind, at: Date): Promise<boolean>;
  markRetry(
    id: string,
    attempt: number,
    channel: ChannelKind,
    nextAttemptAt: Date,
    error: string,
  ): Promise<boolean>;
  markFailed(id: string, attempt: number, channel: ChannelKind, error: string): Promise<boolean>;
}
