export { acquireLease, releaseLease } from './lease.ts';
export { type MigrationSource, runMigrations } from './migrate.ts';
export { createPgDatabase, type PgDatabaseOptions } from './pg.ts';
export { EmbeddedPostgres } from './pglite.ts';
export { type AnyKysely, assertIdentifier, type SqlDatabase, type SqlDialect } from './types.ts';
