import type { Logger } from '@hsg/kit';
import {
  createEventConsumer,
  createMarkerInbox,
  type Delivery,
  type EventConsumer,
  type EventTransport,
  handlersFor,
  type MarkerInboxOptions,
} from '@hsg/kit/events';
import { countedEvents, factOf } from './facts.ts';
import type { AnalyticsModel } from './model.ts';

const on = handlersFor<Delivery>();

export interface AnalyticsConsumerOptions {
  model: AnalyticsModel;
  transport: EventTransport;
  logger: Logger;
  /** Defaults to the model's own group (its generation): the offsets that go with its facts. */
  groupId?: string;
  inbox?: MarkerInboxOptions;
}

/**
 * Feeds the model from the domain topics through the marker inbox over the model's markers. The effect is
 * one idempotent insert keyed by the event id, so a delivery the inbox lets through again (a crash between
 * the effect and its marker, an expired claim) still counts once. A batch's events are delivered together:
 * claimed, counted and marked done at once, which the MongoDB model writes in one bulk write per step.
 */
export async function createAnalyticsConsumer(options: AnalyticsConsumerOptions): Promise<EventConsumer> {
  const { model } = options;
  return createEventConsumer<Delivery>({
    transport: options.transport,
    groupId: options.groupId ?? (await model.groupId()),
    // Counting commutes: a batch's events go together, one bulk write per step of the model (ADR 0027).
    inbox: createMarkerInbox(model.markers, { ...options.inbox, together: true }),
    fromBeginning: true,
    subscriptions: countedEvents.map((counted) =>
      on(counted.definition, async (event) => {
        await model.record(factOf(event, counted));
      }),
    ),
    logger: options.logger,
  });
}
