import { createLogger, onShutdown } from '@hsg/kit';
import { createKafkaTransport } from '@hsg/kit/events';
import { loadSupergraphSdl } from '@hsg/schema';
import { parseRouterEnv } from './env.ts';
import { createRouter } from './router.ts';

// Real mode: the router as its own process, configured by the environment.
const env = parseRouterEnv();
const logger = createLogger({ service: 'router', level: env.LOG_LEVEL });
const events = env.KAFKA_BROKERS
  ? createKafkaTransport({
      brokers: env.KAFKA_BROKERS,
      topicPrefix: env.KAFKA_TOPIC_PREFIX,
      clientId: 'router',
      logger,
    })
  : undefined;
const router = createRouter({
  supergraphSdl: await loadSupergraphSdl(env.SUPERGRAPH_PATH),
  logger,
  subgraphUrls: env.subgraphUrls,
  production: env.NODE_ENV === 'production',
  maxSocketsPerSubgraph: env.SUBGRAPH_MAX_SOCKETS,
  subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
  queryPlanCacheMiB: env.QUERY_PLAN_CACHE_MIB,
  limits: env.limits,
  drainDelayMs: env.DRAIN_DELAY_MS,
  maxBodyBytes: env.MAX_BODY_BYTES,
  corsOrigins: env.CORS_ORIGINS,
  ...(events ? { events } : {}),
});
const port = await router.start(env.PORT, env.HOST);
logger.info(
  {
    url: `http://${env.HOST}:${port}/graphql`,
    subgraphs: Object.fromEntries(router.subgraphs.map((s) => [s.name, s.url])),
  },
  'router ready',
);

onShutdown(logger, async () => {
  await router.stop();
  await events?.close();
});
