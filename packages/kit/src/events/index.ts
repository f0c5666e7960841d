export {
  createEventConsumer,
  type EventConsumer,
  type EventHandler,
  on,
  type Subscription,
} from './consumer.ts';
export { createEmbeddedLog, logEndOffsets, partitionFor } from './embedded-log.ts';
export {
  type CloudEvent,
  cloudEventSchema,
  createEvent,
  decodeEnvelope,
  defineEvent,
  type EventData,
  type EventDefinition,
  type NewEvent,
} from './envelope.ts';
export { createKafkaTransport, type KafkaTransportOptions } from './kafka.ts';
export { eventKitMigrations, eventLogMigrations } from './migrations.ts';
export {
  createOutboxRelay,
  enqueueEvents,
  type OutboxRelay,
  type OutgoingEvent,
  outboxChannel,
  outgoing,
} from './outbox.ts';
export { migrateAndStartOutbox } from './service-outbox.ts';
export * from './transport.ts';
