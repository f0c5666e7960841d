export { createTestKeys, sharedTestKeys, type TestKeys, type TokenRequest } from './auth.ts';
export { pgliteBackend, realMysqlBackend, realPostgresBackend, type SqlBackend } from './databases.ts';
export { type EventBackend, embeddedLogBackend, kafkaBackend } from './event-backends.ts';
export { collectEvents } from './events.ts';
export {
  arrivedTooLate,
  dataOf,
  errorCode,
  type GraphQLResponse,
  graphqlPost,
  graphqlRequest,
  retryUnavailable,
} from './graphql.ts';
export { type LiveConnection, type LiveResult, liveConnection, liveUrlOf } from './live.ts';
export { temporaryMigrations } from './migrations.ts';
export { uniqueName } from './names.ts';
export { type Links, login, sessions, testAdmin } from './sessions.ts';
export { sqlProbes } from './sql-probes.ts';
export { setupTimeoutMs } from './timeouts.ts';
export { waitFor } from './wait.ts';
