import type { Logger } from 'pino';
import { type MigrationSource, runMigrations, type SqlDatabase } from '../sql/index.ts';
import { eventKitMigrations } from './migrations.ts';
import { createOutboxRelay, type OutboxRelay } from './outbox.ts';
import type { EventTransport } from './transport.ts';

/**
 * What every event-producing service does first: migrate its store together with the event kit's tables
 * (outbox, inbox, leases), create the topics it touches, and start the relay publishing its outbox.
 */
export async function migrateAndStartOutbox(options: {
  database: SqlDatabase;
  transport: EventTransport;
  logger: Logger;
  migrations: MigrationSource[];
  topics: string[];
}): Promise<OutboxRelay> {
  const { database, transport, logger } = options;
  await runMigrations(database, [eventKitMigrations, ...options.migrations]);
  await transport.ensureTopics(options.topics.map((topic) => ({ topic })));
  const relay = createOutboxRelay({ database, transport, logger: logger.child({ component: 'outbox' }) });
  await relay.start();
  return relay;
}
