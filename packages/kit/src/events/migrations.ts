import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '../sql/migrate.ts';

const dir = (name: string) => fileURLToPath(new URL(`../../migrations/${name}`, import.meta.url));

/** Outbox, leases and processed-event tables: run in every service namespace that produces or consumes. */
export const eventKitMigrations: MigrationSource = {
  name: 'kit',
  dir: { postgres: dir('kit'), mysql: dir('kit-mysql') },
};

/** The embedded log's tables: run in the log's own namespace. */
export const eventLogMigrations: MigrationSource = { name: 'event-log', dir: dir('event-log') };
