import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { appointmentTopic, auditTopic, doctorTopic, observationTopic, patientTopic } from '@hsg/contracts';
import { createEventConsumer, sqlInbox } from '@hsg/kit/events';
import { defineSubgraph } from '@hsg/kit/runtime';
import type { MigrationSource } from '@hsg/kit/sql';
import { parse } from 'graphql';
import { notificationAudit, notificationPolicies, visibilityOf } from './access.ts';
import { channelFor } from './channels.ts';
import { inboxGroupFor, notificationSubscriptions } from './consumer.ts';
import { createNotificationDomain } from './domain.ts';
import { notificationSettings } from './env.ts';
import { createRequestLoaders } from './loaders.ts';
import { createResolvers } from './resolvers.ts';
import { createNotificationSender } from './sender.ts';
import { createSqlNotificationOutbox, createSqlNotificationStore } from './store-sql.ts';

export const notificationMigrations: MigrationSource = {
  name: 'notification',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
};

/**
 * The notification subgraph: one notification per critical lab result (to the ordering doctor) and per
 * appointment booked, moved or cancelled (to the patient), made from events into its own outbox and sent
 * by SMTP, or kept in the store as the development outbox (ADR 0024); on Postgres (PGlite embedded).
 */
export const notificationSubgraph = defineSubgraph({
  name: 'notification',
  engine: 'apollo',
  port: 4108,
  store: 'postgres',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  migrations: [notificationMigrations],
  // The consumed topics, so the inbox can subscribe before their producers ever produced; it produces
  // only audit records.
  topics: [patientTopic, doctorTopic, appointmentTopic, observationTopic, auditTopic],
  settings: notificationSettings,
  createStore: createSqlNotificationStore,
  createWorkers({ database, transport, logger, clock, settings }) {
    // Started in this order, stopped in reverse: the sender stops (and closes its channel) first.
    const inbox = createEventConsumer({
      transport,
      inbox: sqlInbox(database),
      groupId: inboxGroupFor(database),
      subscriptions: notificationSubscriptions({
        database,
        clock,
        logger: logger.child({ component: 'notification-inbox' }),
        maxEventAgeMs: settings.NOTIFICATION_MAX_EVENT_AGE_MS,
      }),
      logger: logger.child({ component: 'notification-inbox' }),
    });
    const sender = createNotificationSender({
      database,
      outbox: createSqlNotificationOutbox(database),
      channel: channelFor(settings),
      logger: logger.child({ component: 'notification-sender' }),
      clock,
      criticalResultsEmail: settings.CRITICAL_RESULTS_EMAIL,
      maxAttempts: settings.NOTIFICATION_MAX_ATTEMPTS,
      retry: { initialMs: settings.NOTIFICATION_RETRY_INITIAL_MS, maxMs: settings.NOTIFICATION_RETRY_MAX_MS },
      claimMs: settings.NOTIFICATION_CLAIM_MS,
      pollIntervalMs: settings.NOTIFICATION_POLL_MS,
    });
    return { inbox, sender };
  },
  createApi({ store }) {
    const domain = createNotificationDomain({ store });
    return {
      resolvers: createResolvers(),
      context: ({ principal }) => {
        const visible = visibilityOf(principal);
        return { loaders: createRequestLoaders(domain, visible), visible };
      },
      policies: notificationPolicies,
      audit: notificationAudit,
      exposed: { domain, store },
    };
  },
});

export type NotificationSubgraph = typeof notificationSubgraph;
export { channelFor, type NotificationChannel, outboxChannel, smtpChannel } from './channels.ts';
export { inboxGroupFor, notificationSubscriptions } from './consumer.ts';
export { type NotificationSettings, notificationSettings } from './env.ts';
export { createNotificationSender, type NotificationSender } from './sender.ts';
export type { NotificationOutbox, NotificationStore } from './store.ts';
export { createSqlNotificationOutbox, createSqlNotificationStore } from './store-sql.ts';
