import { unavailable } from '@hsg/kit';
import type { Claim, Delivery, InboxMarker, InboxMarkers } from '@hsg/kit/events';
import mongoose, { type Connection } from 'mongoose';
import { type BucketAttributes, type BucketOf, bucketOf } from './buckets.ts';
import type { Fact, FactKind } from './facts.ts';
import { type AnalyticsModel, type DayRange, type FactGroup, newGroupId } from './model.ts';
import { duplicateKey, duplicatePositions, gathered, insertAll } from './mongo-bulk.ts';

/** A lost or unreachable server is worth retrying (the consumer backs off); anything else is a bug. */
const transient = /^Mongo(ose)?(Network|NetworkTimeout|ServerSelection|NotConnected|PoolCleared|Topology)/;
async function store<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && transient.test(name))
      throw unavailable('analytics store unreachable', error);
    throw error;
  }
}

/** The event counted: its id, and whether its bucket has it (false only between those two writes). */
interface FactDocument {
  _id: string;
  counted: boolean;
}
/** A quarter-hour bucket (src/buckets.ts); `pending` holds the events whose count is in it, unconfirmed. */
interface BucketDocument extends BucketAttributes {
  _id: string;
  slot: Date;
  count: number;
  amount: number;
  pending: string[];
}
interface MarkerDocument {
  _id: { group: string; event: string };
  state: 'claimed' | 'done';
  owner?: string;
  until?: number;
}
interface GenerationDocument {
  _id: 'generation';
  groupId: string;
  /** How the facts are kept: a generation of another layout is dropped and refilled from the events. */
  layout?: number;
}

/** 2: counted into quarter-hour buckets (1: facts grouped at query time). */
const layout = 2;

/**
 * The MongoDB model (ADR 0021), through mongoose, with no transactions or sessions: every write is one
 * single-document operation. An event is counted in three: its fact is inserted with `_id` = its event id
 * and `counted: false`; its bucket's `$inc` also pushes the event id to the bucket's `pending` (and only
 * applies while the id is not there); then the fact says `counted` and the bucket lets the id go. A crash
 * anywhere in between is finished by the redelivery, exactly: `pending` tells whether the `$inc` happened.
 * A dashboard groups the range's buckets by one `$group`, days by `$dateToString` in the asked time zone.
 * The marker inbox's markers and the consumer group's generation are documents beside them.
 */
export function createMongoAnalyticsModel(connection: Connection): AnalyticsModel {
  const db = () => {
    if (!connection.db) throw new Error('analytics: the MongoDB connection is not open');
    return connection.db;
  };
  const facts = () => db().collection<FactDocument>('facts');
  const buckets = () => db().collection<BucketDocument>('buckets');
  const markers = () => db().collection<MarkerDocument>('inbox_markers');
  const meta = () => db().collection<GenerationDocument>('meta');
  const markerId = ({ groupId, eventId }: Delivery) => ({ group: groupId, event: eventId });

  /** The marker that kept a claim from being inserted (none: it was released meanwhile, claim afresh). */
  async function markerInTheWay(delivery: Delivery, claim: Claim): Promise<InboxMarker | undefined> {
    const found = await markers().findOne({ _id: markerId(delivery) });
    if (!found) return rawMarkers.claim(delivery, claim);
    return found.state === 'done'
      ? { state: 'done' }
      : ({ state: 'claimed', owner: found.owner, until: found.until } as InboxMarker);
  }
  // A batch's claims and completions, one bulk write each (deliveries handed over together).
  const claims = gathered<{ delivery: Delivery; claim: Claim }, InboxMarker | undefined>(async (asked) => {
    const refused = await insertAll(
      markers(),
      asked.map(({ delivery, claim }) => ({ _id: markerId(delivery), state: 'claimed' as const, ...claim })),
    );
    return Promise.all(
      asked.map(({ delivery, claim }, index) =>
        refused.has(index) ? markerInTheWay(delivery, claim) : undefined,
      ),
    );
  });
  const completions = gathered<Delivery, undefined>(async (deliveries) => {
    await markers().bulkWrite(
      deliveries.map((delivery) => ({
        updateOne: {
          filter: { _id: markerId(delivery) },
          update: { $set: { state: 'done' as const }, $unset: { owner: '', until: '' } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
    return deliveries.map(() => undefined);
  });

  const rawMarkers: InboxMarkers = {
    claim: (delivery, claim) => claims.load({ delivery, claim }),
    async takeOver(delivery, stale: Claim, claim: Claim) {
      const result = await markers().updateOne(
        { _id: markerId(delivery), state: 'claimed', owner: stale.owner, until: stale.until },
        { $set: { owner: claim.owner, until: claim.until } },
      );
      return result.modifiedCount === 1;
    },
    complete: (delivery) => completions.load(delivery),
    async release(delivery, claim) {
      await markers().deleteOne({ _id: markerId(delivery), state: 'claimed', owner: claim.owner });
    },
  };

  const inboxMarkers: InboxMarkers = {
    claim: (delivery, claim) => store(() => rawMarkers.claim(delivery, claim)),
    takeOver: (delivery, stale, claim) => store(() => rawMarkers.takeOver(delivery, stale, claim)),
    complete: (delivery) => store(() => rawMarkers.complete(delivery)),
    release: (delivery, claim) => store(() => rawMarkers.release(delivery, claim)),
  };

  /** The bucket's `$inc` for one event, at most once: a bucket that lists the event pending has it. */
  async function countInto(bucket: BucketOf, eventId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await buckets().updateOne(
          { _id: bucket.key, pending: { $ne: eventId } },
          {
            $inc: { count: 1, amount: bucket.amount },
            $push: { pending: eventId },
            $setOnInsert: { slot: bucket.slot, ...bucket.attributes },
          },
          { upsert: true },
        );
        return;
      } catch (error) {
        // The filter missed an existing bucket: it has this event already, or another event's upsert
        // created it a moment ago (then update it now).
        if (!duplicateKey(error) || attempt === 5) throw error;
        if (await buckets().findOne({ _id: bucket.key, pending: eventId }, { projection: { _id: 1 } }))
          return;
      }
    }
  }

  const forgetPending = (bucket: BucketOf, eventId: string) =>
    buckets().updateOne({ _id: bucket.key }, { $pull: { pending: eventId } });

  /** One fact, step by step: a fact twice in one batch, or one a bulk step could not settle. */
  async function recordOne(fact: Fact): Promise<boolean> {
    const bucket = bucketOf(fact);
    try {
      await facts().insertOne({ _id: fact.id, counted: false });
    } catch (error) {
      if (!duplicateKey(error)) throw error;
      const found = await facts().findOne({ _id: fact.id });
      if (found?.counted !== false) {
        await forgetPending(bucket, fact.id); // a crash may have left it there
        return false;
      }
      // A crash between the fact and its confirmation: finish counting it (once, see countInto).
    }
    await countInto(bucket, fact.id);
    await facts().updateOne({ _id: fact.id }, { $set: { counted: true } });
    await forgetPending(bucket, fact.id);
    return true;
  }

  /** Every fact's `$inc` at once (see countInto); one the bulk write refused goes through countInto. */
  async function countAllInto(toCount: ReadonlyArray<{ fact: Fact; bucket: BucketOf }>): Promise<void> {
    if (toCount.length === 0) return;
    let refused = new Set<number>();
    try {
      await buckets().bulkWrite(
        toCount.map(({ fact, bucket }) => ({
          updateOne: {
            filter: { _id: bucket.key, pending: { $ne: fact.id } },
            update: {
              $inc: { count: 1, amount: bucket.amount },
              $push: { pending: fact.id },
              $setOnInsert: { slot: bucket.slot, ...bucket.attributes },
            },
            upsert: true,
          },
        })),
        { ordered: false },
      );
    } catch (error) {
      refused = duplicatePositions(error);
    }
    for (const index of refused) {
      const { fact, bucket } = toCount[index] as { fact: Fact; bucket: BucketOf };
      await countInto(bucket, fact.id);
    }
  }

  /**
   * A batch of facts in recordOne's steps, each step one bulk write for all of them: insert the facts
   * (`counted: false`), count them into their buckets, say `counted`, let their ids go from `pending`. A
   * crash between two steps leaves each fact where recordOne would have, and its redelivery finishes it.
   */
  async function recordAll(batch: readonly Fact[]): Promise<boolean[]> {
    const seen = new Set<string>();
    const unique: Array<{ fact: Fact; bucket: BucketOf }> = [];
    const repeats: number[] = [];
    batch.forEach((fact, index) => {
      if (seen.has(fact.id)) repeats.push(index);
      else {
        seen.add(fact.id);
        unique.push({ fact, bucket: bucketOf(fact) });
      }
    });
    const refused = await insertAll(
      facts(),
      unique.map(({ fact }) => ({ _id: fact.id, counted: false })),
    );
    // A fact already there: counted before (a redelivery), or not confirmed (a crash): finish that one.
    const countedBefore = new Set<string>();
    if (refused.size > 0) {
      const ids = unique.filter((_, index) => refused.has(index)).map(({ fact }) => fact.id);
      const found = await facts()
        .find({ _id: { $in: ids } })
        .toArray();
      const unconfirmed = new Set(
        found.filter((document) => document.counted === false).map((document) => document._id),
      );
      for (const id of ids) if (!unconfirmed.has(id)) countedBefore.add(id);
    }
    const toCount = unique.filter(({ fact }) => !countedBefore.has(fact.id));
    await countAllInto(toCount);
    if (toCount.length > 0)
      await facts().updateMany(
        { _id: { $in: toCount.map(({ fact }) => fact.id) } },
        { $set: { counted: true } },
      );
    // Every id leaves `pending`, the ones counted before too (a crash may have left them there).
    const pendingByBucket = new Map<string, string[]>();
    for (const { fact, bucket } of unique)
      pendingByBucket.set(bucket.key, [...(pendingByBucket.get(bucket.key) ?? []), fact.id]);
    await buckets().bulkWrite(
      [...pendingByBucket].map(([key, ids]) => ({
        updateOne: { filter: { _id: key }, update: { $pull: { pending: { $in: ids } } } },
      })),
      { ordered: false },
    );
    const answers = batch.map((fact) => !countedBefore.has(fact.id));
    for (const index of repeats) answers[index] = await recordOne(batch[index] as Fact);
    return answers;
  }
  const records = gathered<Fact, boolean>((batch) => recordAll(batch));

  async function drop(): Promise<string> {
    // The new generation first: should the deletes not finish, its group still replays everything and
    // the facts left over absorb their events again (keyed by event id), so nothing counts twice.
    const groupId = newGroupId();
    await meta().updateOne({ _id: 'generation' }, { $set: { groupId, layout } }, { upsert: true });
    await facts().deleteMany({});
    await buckets().deleteMany({});
    await markers().deleteMany({});
    return groupId;
  }

  return {
    markers: inboxMarkers,
    record: (fact) => store(() => records.load(fact)),
    async groups(range: DayRange, filter = {}) {
      const rows = await buckets()
        .aggregate<{ _id: Omit<FactGroup, 'count' | 'amount'>; count: number; amount: number }>([
          {
            $match: {
              slot: { $gte: range.start, $lt: range.end },
              ...(filter.doctorId === undefined ? {} : { doctorId: filter.doctorId }),
            },
          },
          {
            $group: {
              _id: {
                kind: '$kind',
                day: { $dateToString: { format: '%Y-%m-%d', date: '$slot', timezone: range.timeZone } },
                doctorId: '$doctorId',
                currency: '$currency',
                code: '$code',
                system: '$system',
                abnormal: '$abnormal',
                critical: '$critical',
              },
              count: { $sum: '$count' },
              amount: { $sum: '$amount' },
            },
          },
        ])
        .toArray();
      // A missing attribute comes back absent or null depending on the server: absent either way.
      return rows.map(({ _id, count, amount }) => {
        const attributes = Object.fromEntries(Object.entries(_id).filter(([, value]) => value !== null));
        return { ...attributes, kind: _id.kind as FactKind, day: _id.day, count, amount } as FactGroup;
      });
    },
    async groupId() {
      const found = await meta().findOne({ _id: 'generation' });
      if (found?.layout === layout) return found.groupId;
      if (found) return drop(); // kept in an older layout: refilled by a new group from the events
      try {
        await meta().insertOne({ _id: 'generation', groupId: newGroupId(), layout });
      } catch (error) {
        if (!duplicateKey(error)) throw error; // another instance created it first: use theirs
      }
      const created = await meta().findOne({ _id: 'generation' });
      if (!created) throw new Error('analytics: the model generation vanished while it was created');
      return created.groupId;
    },
    drop,
    close: () => connection.close(),
  };
}

/** Opens the model's connection (no buffering: a command while disconnected fails instead of waiting). */
export async function connectMongoAnalyticsModel(options: {
  url: string;
  name: string;
  maxConnections?: number;
}): Promise<AnalyticsModel> {
  const connection = await mongoose
    .createConnection(options.url, {
      dbName: options.name,
      bufferCommands: false,
      serverSelectionTimeoutMS: 10_000,
      ...(options.maxConnections ? { maxPoolSize: options.maxConnections } : {}),
    })
    .asPromise();
  // Every dashboard query matches a time range first: on MongoDB an index scan, not the whole collection.
  // (The Mongo-wire stand-in of the tests accepts and ignores it: there a range scans every bucket.)
  await connection.db?.collection('buckets').createIndex({ slot: 1 });
  return createMongoAnalyticsModel(connection);
}

/** Drops a model's whole database (what a finished test or benchmark run leaves behind). */
export async function dropMongoAnalyticsDatabase(url: string, name: string): Promise<void> {
  const connection = await mongoose
    .createConnection(url, { dbName: name, bufferCommands: false, serverSelectionTimeoutMS: 10_000 })
    .asPromise();
  try {
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}
