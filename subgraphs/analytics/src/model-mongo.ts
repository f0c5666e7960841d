import { unavailable } from '@hsg/kit';
import type { Claim, Delivery, InboxMarker, InboxMarkers } from '@hsg/kit/events';
import mongoose, { type Connection } from 'mongoose';
import type { Fact, FactKind } from './facts.ts';
import { type AnalyticsModel, type DayRange, type FactGroup, newGroupId } from './model.ts';

const duplicateKey = (error: unknown) => (error as { code?: unknown } | null)?.code === 11000;

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

interface FactDocument extends Omit<Fact, 'id'> {
  _id: string;
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
}

/**
 * The MongoDB model (ADR 0021), through mongoose, with no transactions or sessions: every write is one
 * single-document operation. A fact is inserted once with `_id` = its event id (a duplicate key means it
 * was counted already); aggregates are computed from the facts by one `$group` at query time, days by
 * `$dateToString` in the asked time zone. The marker inbox's markers and the consumer group's generation
 * are documents beside them.
 */
export function createMongoAnalyticsModel(connection: Connection): AnalyticsModel {
  const db = () => {
    if (!connection.db) throw new Error('analytics: the MongoDB connection is not open');
    return connection.db;
  };
  const facts = () => db().collection<FactDocument>('facts');
  const markers = () => db().collection<MarkerDocument>('inbox_markers');
  const meta = () => db().collection<GenerationDocument>('meta');
  const markerId = ({ groupId, eventId }: Delivery) => ({ group: groupId, event: eventId });

  const rawMarkers: InboxMarkers = {
    async claim(delivery, claim) {
      try {
        await markers().insertOne({ _id: markerId(delivery), state: 'claimed', ...claim });
        return undefined;
      } catch (error) {
        if (!duplicateKey(error)) throw error;
      }
      const found = await markers().findOne({ _id: markerId(delivery) });
      if (!found) return rawMarkers.claim(delivery, claim); // released meanwhile: claim afresh
      return found.state === 'done'
        ? { state: 'done' }
        : ({ state: 'claimed', owner: found.owner, until: found.until } as InboxMarker);
    },
    async takeOver(delivery, stale: Claim, claim: Claim) {
      const result = await markers().updateOne(
        { _id: markerId(delivery), state: 'claimed', owner: stale.owner, until: stale.until },
        { $set: { owner: claim.owner, until: claim.until } },
      );
      return result.modifiedCount === 1;
    },
    async complete(delivery) {
      await markers().updateOne(
        { _id: markerId(delivery) },
        { $set: { state: 'done' }, $unset: { owner: '', until: '' } },
        { upsert: true },
      );
    },
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

  return {
    markers: inboxMarkers,
    record: ({ id, ...fact }) =>
      store(async () => {
        try {
          await facts().insertOne({ _id: id, ...fact });
          return true;
        } catch (error) {
          if (duplicateKey(error)) return false;
          throw error;
        }
      }),
    async groups(range: DayRange, filter = {}) {
      const rows = await facts()
        .aggregate<{ _id: Omit<FactGroup, 'count' | 'amount'>; count: number; amount: number }>([
          {
            $match: {
              at: { $gte: range.start, $lt: range.end },
              ...(filter.doctorId === undefined ? {} : { doctorId: filter.doctorId }),
            },
          },
          {
            $group: {
              _id: {
                kind: '$kind',
                day: { $dateToString: { format: '%Y-%m-%d', date: '$at', timezone: range.timeZone } },
                doctorId: '$doctorId',
                currency: '$currency',
                code: '$code',
                system: '$system',
                abnormal: '$abnormal',
                critical: '$critical',
              },
              count: { $sum: 1 },
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
      if (found) return found.groupId;
      try {
        await meta().insertOne({ _id: 'generation', groupId: newGroupId() });
      } catch (error) {
        if (!duplicateKey(error)) throw error; // another instance created it first: use theirs
      }
      const created = await meta().findOne({ _id: 'generation' });
      if (!created) throw new Error('analytics: the model generation vanished while it was created');
      return created.groupId;
    },
    async drop() {
      // The new generation first: should the deletes not finish, its group still replays everything and
      // the facts left over absorb their events again (keyed by event id), so nothing counts twice.
      const groupId = newGroupId();
      await meta().updateOne({ _id: 'generation' }, { $set: { groupId } }, { upsert: true });
      await facts().deleteMany({});
      await markers().deleteMany({});
      return groupId;
    },
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
  // (The Mongo-wire stand-in of the tests accepts and ignores it: there a range scans every fact.)
  await connection.db?.collection('facts').createIndex({ at: 1 });
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
