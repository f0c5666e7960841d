import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { appointmentTopic, auditTopic, billingTopic, doctorTopic, patientTopic } from '@hsg/contracts';
import { createEventConsumer, sqlInbox } from '@hsg/kit/events';
import { defineSubgraph } from '@hsg/kit/runtime';
import type { MigrationSource, SqlDatabase } from '@hsg/kit/sql';
import { parse } from 'graphql';
import { billingAudit, billingPolicies, visibilityOf } from './access.ts';
import { createBillingDomain } from './domain.ts';
import { billingSettings } from './env.ts';
import { ledgerSubscriptions } from './ledger.ts';
import { createRequestLoaders } from './loaders.ts';
import { invoicePdfRoute } from './pdf-route.ts';
import { createResolvers } from './resolvers.ts';
import { createSqlBillingStore } from './store-sql.ts';

export const billingMigrations: MigrationSource = {
  name: 'billing',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
};

/**
 * The ledger's consumer group, named after the schema: its offsets only make sense with the tables they
 * filled, so a fresh schema (a reset, a test) replays the topics instead of inheriting another's offsets.
 */
export const ledgerGroupFor = (database: SqlDatabase): string => `billing.ledger.${database.namespace}`;

/**
 * The billing subgraph: an account per patient, an invoice per completed visit priced from billing's own
 * projection of doctors' fees, idempotent payments, voids and PDF invoices, on Postgres (PGlite embedded).
 */
export const billingSubgraph = defineSubgraph({
  name: 'billing',
  engine: 'apollo',
  port: 4105,
  store: 'postgres',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  migrations: [billingMigrations],
  // The consumed topics too, so the ledger can subscribe before their producers ever produced.
  topics: [billingTopic, patientTopic, doctorTopic, appointmentTopic, auditTopic],
  settings: billingSettings,
  createStore: createSqlBillingStore,
  createWorkers({ database, transport, logger, clock, settings }) {
    const ledger = createEventConsumer({
      transport,
      inbox: sqlInbox(database),
      groupId: ledgerGroupFor(database),
      subscriptions: ledgerSubscriptions({
        database,
        clock,
        noShowFee: settings.BILLING_NO_SHOW_FEE_MINOR,
        dueDays: settings.INVOICE_DUE_DAYS,
      }),
      logger: logger.child({ component: 'ledger' }),
    });
    return { ledger };
  },
  createApi({ store, clock, settings, logger }) {
    const domain = createBillingDomain({ store, clock });
    return {
      resolvers: createResolvers(domain),
      context: ({ principal }) => {
        const visible = visibilityOf(principal);
        return { loaders: createRequestLoaders(domain, visible), visible };
      },
      routes: [invoicePdfRoute({ clinicName: settings.CLINIC_NAME, logger })],
      policies: billingPolicies,
      audit: billingAudit,
      exposed: { domain, store },
    };
  },
});

export type BillingSubgraph = typeof billingSubgraph;
export type { BillingStore } from './store.ts';
export { createSqlBillingStore } from './store-sql.ts';
