import { createLogger, onShutdown } from '@hsg/kit';
import { createKafkaTransport } from '@hsg/kit/events';
import { createMysqlDatabase } from '@hsg/kit/sql';
import { parseDoctorEnv } from './env.ts';
import { startDoctorService } from './service.ts';

// Real mode: this subgraph as its own process on MariaDB/MySQL and Kafka, configured by the environment.
const env = parseDoctorEnv();
const logger = createLogger({ service: 'doctor', level: env.LOG_LEVEL });
const database = await createMysqlDatabase({
  url: env.DATABASE_URL,
  database: env.DATABASE_NAME,
  maxConnections: env.DATABASE_POOL_SIZE,
});
const transport = createKafkaTransport({ brokers: env.KAFKA_BROKERS, clientId: 'doctor', logger });
const service = await startDoctorService({ database, transport, logger, port: env.PORT, host: env.HOST });
logger.info({ url: service.url }, 'doctor subgraph ready');

onShutdown(logger, async () => {
  await service.stop();
  await transport.close();
  await database.close();
});
