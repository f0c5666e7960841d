export { retryCollisions } from './collisions.ts';
export {
  isExclusionViolation,
  isTransactionCollision,
  isUniqueViolation,
  violatedConstraint,
} from './errors.ts';
export { countRows, nameKeysetPage } from './keyset.ts';
export { acquireLease, createLeaseHolder, type LeaseHolder, releaseLease } from './lease.ts';
export { type MigrationSource, runMigrations, splitStatements } from './migrate.ts';
export { createMysqlDatabase, type MysqlDatabaseOptions, withMysqlLock } from './mysql.ts';
export { createPgDatabase, type PgDatabaseOptions } from './pg.ts';
export { EmbeddedPostgres } from './pglite.ts';
export {
  type AnyKysely,
  assertIdentifier,
  type QueryObserver,
  type SqlDatabase,
  type SqlDialect,
} from './types.ts';
export { type AggregateTable, aggregateWriter, type EventsOf, lockExpectedVersion } from './versioned.ts';
