import { readFileSync } from 'node:fs';
import { defineSubgraph } from '@hsg/kit/runtime';
import { parse } from 'graphql';
import { analyticsPolicies } from './access.ts';
import { createAnalyticsConsumer } from './consumer.ts';
import { createAnalyticsDomain } from './domain.ts';
import { analyticsSettings } from './env.ts';
import { countedTopics } from './facts.ts';
import { createMemoryAnalyticsModel } from './model-memory.ts';
import { connectMongoAnalyticsModel } from './model-mongo.ts';
import { createResolvers } from './resolvers.ts';

/**
 * The analytics subgraph: clinic-wide counts and money fed only by the domain topics (ADR 0021), served by
 * mercurius. Real mode keeps the model in MongoDB; embedded mode in memory, refilled from the embedded log
 * at every start (so its SQL database goes unused).
 */
export const analyticsSubgraph = defineSubgraph({
  name: 'analytics',
  engine: 'mercurius',
  port: 4107,
  store: 'mongo',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  migrations: [],
  topics: countedTopics,
  settings: analyticsSettings,
  createStore: () => createMemoryAnalyticsModel(),
  async connectStore({ url, name, maxConnections }) {
    const model = await connectMongoAnalyticsModel({ url, name, maxConnections });
    return { store: model, close: () => model.close() };
  },
  async createWorkers({ store, transport, logger, settings }) {
    const model = await createAnalyticsConsumer({
      model: store,
      transport,
      logger: logger.child({ component: 'analytics-model' }),
      inbox: { claimMs: settings.ANALYTICS_CLAIM_MS },
    });
    return { model };
  },
  createApi({ store }) {
    const domain = createAnalyticsDomain(store);
    return {
      resolvers: createResolvers(domain),
      context: () => ({}),
      policies: analyticsPolicies,
      exposed: { domain, model: store },
    };
  },
});

export type AnalyticsSubgraph = typeof analyticsSubgraph;
export type { AnalyticsModel } from './model.ts';
export { dropMongoAnalyticsDatabase } from './model-mongo.ts';
// The rebuild as a function (besides its script), so embedded mode's model can be rebuilt in place (e2e).
export { type RebuildOptions, rebuildModel } from './rebuild.ts';
