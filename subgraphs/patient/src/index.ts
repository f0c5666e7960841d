import { createLogger, onShutdown } from '@hsg/kit';
import { createKafkaTransport } from '@hsg/kit/events';
import { createPgDatabase } from '@hsg/kit/sql';
import { parsePatientEnv } from './env.ts';
import { startPatientService } from './service.ts';

// Real mode: this subgraph as its own process on Postgres and Kafka, configured by the environment.
const env = parsePatientEnv();
const logger = createLogger({ service: 'patient', level: env.LOG_LEVEL });
const database = await createPgDatabase({
  url: env.DATABASE_URL,
  schema: env.DATABASE_SCHEMA,
  maxConnections: env.DATABASE_POOL_SIZE,
});
const transport = createKafkaTransport({ brokers: env.KAFKA_BROKERS, clientId: 'patient', logger });
const service = await startPatientService({ database, transport, logger, port: env.PORT, host: env.HOST });
logger.info({ url: service.url }, 'patient subgraph ready');

onShutdown(logger, async () => {
  await service.stop();
  await transport.close();
  await database.close();
});
