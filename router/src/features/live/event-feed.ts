import type { Logger } from '@hsg/kit';
import { type CloudEvent, type ConsumerHandle, decodeEnvelope, type EventTransport } from '@hsg/kit/events';

/**
 * The router's own reading of the domain topics for live subscribers: a consumer group unique to this
 * router instance, from now on (every instance sees every event; none replays history). Events are
 * handed over one at a time, in partition order, so a subscriber sees an appointment's changes in order.
 */
export interface EventFeed {
  start(onEvent: (event: CloudEvent) => Promise<void>): Promise<void>;
  /** 1 while it consumes, 0 before start and after stop. */
  consumers(): number;
  stop(): Promise<void>;
}

export function createEventFeed(options: {
  transport: EventTransport;
  topics: readonly string[];
  groupId: string;
  logger: Logger;
}): EventFeed {
  const { transport, topics, groupId, logger } = options;
  let handle: ConsumerHandle | undefined;
  return {
    async start(onEvent) {
      await transport.ensureTopics(topics.map((topic) => ({ topic })));
      handle = await transport.consume({
        groupId,
        topics: [...topics],
        fromBeginning: false,
        async onBatch(batch) {
          for (const record of batch.records) {
            if (batch.isStopping()) return;
            const decoded = decodeEnvelope(record.value);
            if (decoded.kind === 'event') {
              try {
                await onEvent(decoded.event);
              } catch (error) {
                // Live delivery is best effort: one event's failure must not stop every subscriber's feed.
                logger.warn(
                  { err: error, eventId: decoded.event.id, type: decoded.event.type },
                  'live event failed',
                );
              }
            }
            batch.markProcessed(record);
          }
        },
      });
    },
    consumers: () => (handle ? 1 : 0),
    async stop() {
      const stopping = handle;
      handle = undefined;
      await stopping?.stop();
    },
  };
}
