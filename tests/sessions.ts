// Moved to @hsg/testing (benchmarks log in too); kept so tests importing it from here keep working.
export { type Links, login, sessions, testAdmin } from '@hsg/testing';
