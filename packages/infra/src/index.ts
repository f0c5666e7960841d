// Library entry for tests and services: where the shared infra is, and private Kafka brokers.
export { type InfraEnv, type InfraPorts, infraDir, infraEnv, infraPorts } from './config.ts';
export { type KafkaBroker, type StartKafkaBrokerOptions, startKafkaBroker } from './kafka-broker.ts';
export { isKafkaServing } from './kafka-probe.ts';
export { freePort, isPortFree, isPortOpen, waitForPort, waitForPortFree } from './net.ts';
export {
  type PrivatePostgres,
  type StartPrivatePostgresOptions,
  startPrivatePostgres,
} from './postgres-private.ts';
export { type WaitOptions, waitUntil } from './wait.ts';
