import DataLoader from 'dataloader';
import type { mongo } from 'mongoose';

/**
 * Calls made at the same moment (the consumer hands a batch's events over together, see the marker inbox's
 * `together`) reach `batch` as one list, so each step is one bulk write instead of one write per event.
 * Not a cache: every call is its own write.
 */
export const gathered = <Key, Value>(batch: (keys: readonly Key[]) => Promise<Array<Value | Error>>) =>
  new DataLoader<Key, Value>(batch, { cache: false, maxBatchSize: 500 });

const duplicateKeyCode = 11000;

/** Whether a write was refused because a document with its `_id` (or unique key) exists. */
export const duplicateKey = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === duplicateKeyCode;

/**
 * Inserts every document (unordered: one refused does not stop the rest); answers the positions refused
 * for a duplicate key. Any other refusal throws.
 */
export async function insertAll<Schema extends mongo.Document>(
  collection: mongo.Collection<Schema>,
  documents: mongo.OptionalUnlessRequiredId<Schema>[],
): Promise<Set<number>> {
  if (documents.length === 0) return new Set();
  try {
    await collection.insertMany(documents, { ordered: false });
    return new Set();
  } catch (error) {
    return duplicatePositions(error);
  }
}

/** The positions a bulk write refused for a duplicate key; rethrows anything else. */
export function duplicatePositions(error: unknown): Set<number> {
  const refused = (error as { writeErrors?: unknown } | null)?.writeErrors;
  const list = (Array.isArray(refused) ? refused : refused ? [refused] : []) as Array<{
    code?: unknown;
    index?: unknown;
  }>;
  if (list.length === 0 || list.some((write) => write.code !== duplicateKeyCode)) throw error;
  return new Set(list.map((write) => Number(write.index)));
}
