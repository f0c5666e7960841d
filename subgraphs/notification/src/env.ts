import { envFields } from '@hsg/kit';
import { z } from 'zod';

/** An unset variable and an empty one (`SMTP_URL=` in a compose file) both mean "not set". */
const unlessEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * The notification subgraph's own environment, beyond what the kit reads for every subgraph (PORT 4108,
 * HOST, LOG_LEVEL, DATABASE_URL, DATABASE_SCHEMA `notification`, DATABASE_POOL_SIZE, KAFKA_BROKERS, …).
 * Without SMTP_URL nothing leaves the process: notifications are kept in the store as the development
 * outbox (channel OUTBOX). Parsed by the kit's `parseSubgraphEnv`, which reports every problem at once.
 */
export const notificationSettings = z
  .object({
    /** Where mail goes, e.g. smtp://user:pass@mail.example:587 (smtps:// for implicit TLS). */
    SMTP_URL: unlessEmpty(z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' })),
    /** The From of every message. */
    SMTP_FROM: z
      .string()
      .trim()
      .min(3)
      .max(320)
      .default('Healthcare Supergraph Clinic <no-reply@clinic.invalid>'),
    /**
     * Where critical-result mail goes (doctors have no e-mail address in this system; the notification
     * still names the doctor it is for). Required with SMTP_URL.
     */
    CRITICAL_RESULTS_EMAIL: unlessEmpty(z.email({ error: 'must be an e-mail address' })),
    /** Delivery attempts before a notification is FAILED. */
    NOTIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
    /** The wait after a failed attempt: full jitter, doubling from this … */
    NOTIFICATION_RETRY_INITIAL_MS: envFields.durationMs(30_000),
    /** … to at most this. */
    NOTIFICATION_RETRY_MAX_MS: envFields.durationMs(30 * 60_000),
    /** How often an idle sender looks for due notifications (a new one wakes it at once). */
    NOTIFICATION_POLL_MS: envFields.durationMs(5_000),
    /** One SMTP delivery is cancelled after this long (connect, greeting, idle socket, the whole send). */
    SMTP_TIMEOUT_MS: envFields.durationMs(60_000),
    /**
     * A delivery attempt holds its notification this long: a sender that dies mid-delivery leaves it to
     * be retried after this. Must be longer than SMTP_TIMEOUT_MS.
     */
    NOTIFICATION_CLAIM_MS: envFields.durationMs(5 * 60_000),
    /** Events older than this when consumed (a new deployment replaying history) notify nobody. */
    NOTIFICATION_MAX_EVENT_AGE_MS: envFields.durationMs(7 * 24 * 60 * 60_000),
  })
  .superRefine((settings, context) => {
    if (settings.SMTP_URL !== undefined && settings.CRITICAL_RESULTS_EMAIL === undefined)
      context.addIssue({
        code: 'custom',
        path: ['CRITICAL_RESULTS_EMAIL'],
        message: 'required with SMTP_URL',
      });
    if (settings.NOTIFICATION_CLAIM_MS <= settings.SMTP_TIMEOUT_MS)
      context.addIssue({
        code: 'custom',
        path: ['NOTIFICATION_CLAIM_MS'],
        message: 'must be longer than SMTP_TIMEOUT_MS',
      });
  });

export type NotificationSettings = z.output<typeof notificationSettings>;
