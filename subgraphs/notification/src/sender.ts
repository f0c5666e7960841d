import { backoffDelay, type Logger } from '@hsg/kit';
import { type ComponentState, createLeasedLoop } from '@hsg/kit/events';
import type { SqlDatabase } from '@hsg/kit/sql';
import { DeliveryError, deliveryErrorOf, type NotificationChannel } from './channels.ts';
import { senderChannel } from './consumer.ts';
import type { ClaimedNotification } from './model.ts';
import type { NotificationOutbox } from './store.ts';

export interface SenderOptions {
  database: SqlDatabase;
  outbox: NotificationOutbox;
  channel: NotificationChannel;
  logger: Logger;
  clock?: () => Date;
  /** Where DOCTOR and CLINIC notifications are mailed (doctors have no address here). */
  criticalResultsEmail: string | undefined;
  maxAttempts: number;
  retry: { initialMs: number; maxMs: number };
  /** How long one attempt holds its notification (longer than a delivery can take). */
  claimMs: number;
  pollIntervalMs: number;
  /** Notifications claimed per pass. */
  batchSize?: number;
}

export interface NotificationSender {
  start(): Promise<void>;
  /** Lets the pass in hand finish, then closes the channel. */
  stop(): Promise<void>;
  state(): ComponentState;
  wake(): void;
  /** One pass now, outside the loop (tests): how many notifications it attempted. */
  runOnce(): Promise<number>;
}

/**
 * Delivers PENDING notifications through the channel: claim a batch (attempts counted, held for
 * `claimMs`), deliver each outside any transaction, then mark it SENT, due again after a backoff, or
 * FAILED (a permanent refusal, or its last attempt). A new notification wakes it (NOTIFY on commit);
 * otherwise it looks every `pollIntervalMs`. One instance works at a time (a lease, as the outbox relay);
 * the claims keep even two passes apart. Delivery is at least once: a sender that dies after the server
 * accepted a message and before its mark sends it again once the claim ran out (same Message-ID).
 */
export function createNotificationSender(options: SenderOptions): NotificationSender {
  const { database, outbox, channel, logger, maxAttempts, retry, claimMs } = options;
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? 20;

  /** Where the message goes, or why it cannot go (yet). */
  function addressOf(notification: ClaimedNotification): string | null {
    if (!channel.needsAddress) return null;
    if (notification.recipient.kind !== 'PATIENT') {
      if (!options.criticalResultsEmail) throw new DeliveryError('NO_ADDRESS', true);
      return options.criticalResultsEmail;
    }
    // A patient not heard of yet may still arrive (their events travel on another topic): try again.
    if (!notification.patientKnown) throw new DeliveryError('PATIENT_UNKNOWN', false);
    if (!notification.patientEmail) throw new DeliveryError('NO_ADDRESS', true);
    return notification.patientEmail;
  }

  async function deliverOne(notification: ClaimedNotification): Promise<void> {
    const { id, kind, attempt } = notification;
    try {
      await channel.deliver({
        notificationId: id,
        to: addressOf(notification),
        subject: notification.subject,
        text: notification.body,
      });
    } catch (error) {
      const failure = deliveryErrorOf(error);
      const log = { notificationId: id, kind, channel: channel.kind, attempt, reason: failure.reason };
      if (failure.permanent || attempt >= maxAttempts) {
        await outbox.markFailed(id, attempt, channel.kind, failure.reason);
        logger.warn(log, 'notification failed');
      } else {
        const next = new Date(clock().getTime() + backoffDelay(attempt, retry));
        await outbox.markRetry(id, attempt, channel.kind, next, failure.reason);
        logger.info(
          { ...log, nextAttemptAt: next.toISOString() },
          'notification delivery failed; will retry',
        );
      }
      return;
    }
    await outbox.markSent(id, attempt, channel.kind, clock());
    logger.info({ notificationId: id, kind, channel: channel.kind, attempt }, 'notification sent');
  }

  async function pass(): Promise<number> {
    const now = clock();
    const claimed = await outbox.claimDue(now, new Date(now.getTime() + claimMs), batchSize);
    for (const notification of claimed) await deliverOne(notification);
    return claimed.length;
  }

  const loop = createLeasedLoop({
    database,
    lease: 'notification.sender',
    leaseMs: 15_000,
    pollIntervalMs: options.pollIntervalMs,
    channel: senderChannel(database.namespace),
    logger,
    name: 'notification sender',
    readyWhileStandingBy: true,
    work: async () => ((await pass()) === batchSize ? 'more' : 'idle'),
  });

  return {
    start: () => loop.start(),
    async stop() {
      await loop.stop();
      await channel.close();
    },
    state: () => loop.state(),
    wake: () => loop.wake(),
    runOnce: pass,
  };
}
