export {
  createEventConsumer,
  type EventConsumer,
  type EventConsumerOptions,
  type EventHandler,
  handlersFor,
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
export { type Delivery, type Inbox, type InboxOutcome, type SqlUnit, sqlInbox } from './inbox.ts';
export { createKafkaTransport, deleteKafkaTopics, type KafkaTransportOptions } from './kafka.ts';
export { createLeasedLoop, type LeasedLoop, type LeasedLoopOptions } from './leased-loop.ts';
export {
  type Claim,
  createMarkerInbox,
  type InboxMarker,
  type InboxMarkers,
  type MarkerInboxOptions,
  memoryInboxMarkers,
} from './marker-inbox.ts';
export { eventKitMigrations, eventLogMigrations } from './migrations.ts';
export {
  appendEvents,
  createOutboxRelay,
  type EventBuilder,
  type EventCause,
  enqueueEvents,
  eventsFrom,
  type OutboxRelay,
  type OutgoingEvent,
  outboxChannel,
  outgoing,
} from './outbox.ts';
export {
  awaitProjected,
  classifyAbsence,
  defaultRecheckMs,
  type ProjectionLag,
  projectionCommits,
  wakeOnNotify,
} from './projection-lag.ts';
export { migrateAndStartOutbox } from './service-outbox.ts';
export * from './transport.ts';
