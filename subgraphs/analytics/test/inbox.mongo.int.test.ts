import { createMarkerInbox, type Delivery } from '@hsg/kit/events';
import { describeInboxContract, type InboxBackend } from '@hsg/testing/contracts';
import { openMongoModel } from './mongo.ts';

interface Counter {
  _id: string;
  total: number;
  applied: string[];
}

/**
 * The kit's inbox contract on the model's Mongo markers: the effect is one single-document `$inc`
 * guarded by the delivery, the way ADR 0010 says a Mongo handler must write.
 */
function mongoMarkerInbox(): InboxBackend<Delivery> {
  const opened: Array<() => Promise<void>> = [];
  return {
    name: 'marker inbox on MongoDB (Mongo-wire server, no transactions)',
    atomic: false,
    deliversTogether: false,
    async open() {
      const { model, db, dispose } = await openMongoModel();
      opened.push(dispose);
      const counters = db.collection<Counter>('counters');
      const options = { claimMs: 5_000, recheckMs: 5 };
      return {
        inboxes: [createMarkerInbox(model.markers, options), createMarkerInbox(model.markers, options)],
        async add({ groupId, eventId }, counter, amount) {
          const by = `${groupId}/${eventId}`;
          try {
            await counters.updateOne(
              { _id: counter, applied: { $ne: by } },
              { $inc: { total: amount }, $push: { applied: by } },
              { upsert: true },
            );
          } catch (error) {
            // The upsert collided with the document that has `by` applied already: nothing left to do.
            if ((error as { code?: unknown }).code !== 11000) throw error;
          }
        },
        total: async (counter) => (await counters.findOne({ _id: counter }))?.total ?? 0,
        async recorded({ groupId, eventId }) {
          const marker = await db
            .collection<{ _id: object; state: string }>('inbox_markers')
            .findOne({ _id: { group: groupId, event: eventId } });
          return marker?.state === 'done';
        },
      };
    },
    async dispose() {
      for (const dispose of opened.splice(0)) await dispose();
    },
  };
}

describeInboxContract(mongoMarkerInbox);
