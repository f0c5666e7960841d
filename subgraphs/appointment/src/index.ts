import { createLogger, onShutdown } from '@hsg/kit';
import { createKafkaTransport } from '@hsg/kit/events';
import { createPgDatabase } from '@hsg/kit/sql';
import { parseAppointmentEnv } from './env.ts';
import { startAppointmentService } from './service.ts';

// Real mode: this subgraph as its own process on Postgres and Kafka, configured by the environment.
const env = parseAppointmentEnv();
const logger = createLogger({ service: 'appointment', level: env.LOG_LEVEL });
const database = await createPgDatabase({
  url: env.DATABASE_URL,
  schema: env.DATABASE_SCHEMA,
  maxConnections: env.DATABASE_POOL_SIZE,
});
const transport = createKafkaTransport({ brokers: env.KAFKA_BROKERS, clientId: 'appointment', logger });
const service = await startAppointmentService({
  database,
  transport,
  logger,
  port: env.PORT,
  host: env.HOST,
  projectionWaitMs: env.PROJECTION_WAIT_MS,
  projectionGraceMs: env.PROJECTION_GRACE_MS,
  noShowIntervalMs: env.NO_SHOW_INTERVAL_MS,
  noShowGraceMinutes: env.NO_SHOW_GRACE_MINUTES,
});
logger.info({ url: service.url }, 'appointment subgraph ready');

onShutdown(logger, async () => {
  await service.stop();
  await transport.close();
  await database.close();
});
