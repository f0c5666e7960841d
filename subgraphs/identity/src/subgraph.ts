import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { auditTopic } from '@hsg/contracts';
import type { Logger } from '@hsg/kit';
import { defineSubgraph, entityLoader } from '@hsg/kit/runtime';
import type { MigrationSource } from '@hsg/kit/sql';
import { parse } from 'graphql';
import { createAuditTrail, createAuditTrailConsumer } from './audit-trail.ts';
import { createAuthService } from './auth.ts';
import { createIdentityDomain, createUserService } from './domain.ts';
import { type IdentitySettings, identitySettings } from './env.ts';
import { createKeyRing } from './keys.ts';
import { createPasswordHasher, type PasswordHasher } from './passwords.ts';
import { createResolvers } from './resolvers.ts';
import { createAuthRoutes } from './routes.ts';
import type { IdentityStore } from './store.ts';
import { createSqlIdentityStore } from './store-sql.ts';
import { createThrottle } from './throttle.ts';
import { createBootstrap, createMaintenance } from './workers.ts';

export const identityMigrations: MigrationSource = {
  name: 'identity',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
};

/** The parts of identity, from its store alone: the same for its workers and its API. */
export function createIdentity(deps: {
  store: IdentityStore;
  clock: () => Date;
  settings: IdentitySettings;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
  passwords?: PasswordHasher;
}) {
  const { store, clock, settings, logger } = deps;
  const passwords = deps.passwords ?? createPasswordHasher();
  const keys = createKeyRing({ store, clock, accessTokenTtlSeconds: settings.ACCESS_TOKEN_TTL_SECONDS });
  const throttle = createThrottle(store, settings);
  const users = createUserService({ store, passwords, clock, logger });
  const domain = createIdentityDomain({ users, keys, store, passwords, throttle, clock });
  const auth = createAuthService({
    store,
    keys,
    passwords,
    throttle,
    clock,
    settings,
    logger,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  const auditTrail = createAuditTrail(store);
  return { passwords, keys, throttle, users, domain, auth, auditTrail };
}

/**
 * The identity subgraph: users and their roles, password login, access tokens (ES256 JWTs) and rotating
 * refresh tokens, and the signing keys with their JWKS, on Postgres (PGlite when embedded); and the audit
 * trail of patient data, from the audit events of the other subgraphs (ADR 0017).
 */
export const identitySubgraph = defineSubgraph({
  name: 'identity',
  engine: 'apollo',
  port: 4104,
  store: 'postgres',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  migrations: [identityMigrations],
  // Consumed: every subgraph that holds patient data records its accesses there.
  topics: [auditTopic],
  settings: identitySettings,
  createStore: createSqlIdentityStore,
  createWorkers({ database, transport, store, clock, settings, logger }) {
    const identity = createIdentity({ store, clock, settings, logger });
    const auditConsumer = createAuditTrailConsumer({
      database,
      transport,
      logger: logger.child({ component: 'audit-trail' }),
    });
    return {
      // Not part of readiness: logins and the JWKS must not stop while the trail lags (Kafka down, say);
      // the trail catches up from the subgraphs' outboxes and the topic.
      auditTrail: {
        start: () => auditConsumer.start(),
        stop: () => auditConsumer.stop(),
        consumer: auditConsumer,
      },
      bootstrap: createBootstrap({ keys: identity.keys, users: identity.users, settings, logger }),
      maintenance: createMaintenance({
        store,
        keys: identity.keys,
        throttle: identity.throttle,
        clock,
        logger: logger.child({ component: 'maintenance' }),
      }),
    };
  },
  createApi({ store, clock, settings, logger }) {
    const { domain, users, auth, keys, auditTrail } = createIdentity({ store, clock, settings, logger });
    return {
      resolvers: createResolvers(domain, auditTrail),
      context: () => ({ userLoader: entityLoader((ids) => store.findByIds(ids)) }),
      routes: createAuthRoutes(auth, keys),
      exposed: {
        /** The checked operations of the graph (each takes the caller's principal). */
        domain,
        /** Trusted user operations without a principal (demo data, tools). */
        users,
        /** Login, refresh, logout as the HTTP routes run them. */
        auth,
        /** The audit trail as the graph reads it (checks the caller). */
        auditTrail,
        /** Signing keys: jwks(), rotate(), sign(). */
        keys,
        store,
        /** An access token for an existing user, signed by the active key (tests, trusted tools). */
        async issueAccessToken(userId: string): Promise<string> {
          const user = await users.byId(userId);
          if (!user) throw new Error(`No user with id ${userId}`);
          return auth.issueAccessToken(user);
        },
      },
    };
  },
});

export type IdentitySubgraph = typeof identitySubgraph;
export type { AuthService, LoginOutcome, TokenPair } from './auth.ts';
export type { CreateUserInput, IdentityDomain, UpdateUserInput, UserService } from './domain.ts';
export type { KeyRing } from './keys.ts';
export type { User } from './model.ts';
export type { IdentityStore } from './store.ts';
export { createSqlIdentityStore } from './store-sql.ts';
