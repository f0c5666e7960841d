import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '@hsg/kit';
import { createKafkaTransport, type EventTransport } from '@hsg/kit/events';
import { parseSubgraphEnv } from '@hsg/kit/runtime';
import { createAnalyticsConsumer } from './consumer.ts';
import type { AnalyticsModel } from './model.ts';
import { connectMongoAnalyticsModel } from './model-mongo.ts';
import { analyticsSubgraph } from './subgraph.ts';

export interface RebuildOptions {
  model: AnalyticsModel;
  transport: EventTransport;
  logger: Logger;
  /** Caught up: nothing new handled for this long (the transport has no end-offset call to ask). */
  quietMs?: number;
  pollMs?: number;
}

/**
 * Drops the model and replays every domain topic from the beginning into it, with the fresh consumer
 * group of the model's new generation; resolves once that group went quiet. A subgraph started later
 * continues with that group's offsets. One still running meanwhile keeps its old group until it restarts:
 * its writes are inserts keyed by event id, so nothing counts twice.
 */
export async function rebuildModel(options: RebuildOptions): Promise<{ groupId: string; handled: number }> {
  const { model, logger } = options;
  const quietMs = options.quietMs ?? 3_000;
  const pollMs = options.pollMs ?? 100;
  const groupId = await model.drop();
  const consumer = await createAnalyticsConsumer({ model, transport: options.transport, logger, groupId });
  await consumer.start();
  try {
    let seen = -1;
    let since = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      const stats = consumer.stats();
      const handled = stats.processed + stats.duplicates + stats.ignored + stats.invalid + stats.deadLettered;
      if (handled !== seen || consumer.state() !== 'ready') {
        seen = handled;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) {
        logger.info({ groupId, handled, ...stats }, 'analytics model rebuilt');
        return { groupId, handled };
      }
    }
  } finally {
    await consumer.stop();
  }
}

/** `npm run analytics:rebuild`: real mode's model (MongoDB) from Kafka, configured like the subgraph. */
async function main(): Promise<void> {
  const env = parseSubgraphEnv(analyticsSubgraph);
  const logger = createLogger({ service: 'analytics-rebuild', level: env.LOG_LEVEL });
  const model = await connectMongoAnalyticsModel({ url: env.DATABASE_URL, name: env.namespace });
  const transport = createKafkaTransport({
    brokers: env.KAFKA_BROKERS,
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
    clientId: 'analytics-rebuild',
    logger,
  });
  try {
    await rebuildModel({ model, transport, logger });
  } finally {
    await transport.close();
    await model.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
