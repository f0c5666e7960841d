import { memoryInboxMarkers } from '@hsg/kit/events';
import { type BucketAttributes, bucketOf } from './buckets.ts';
import { type AnalyticsModel, type DayRange, type FactGroup, newGroupId } from './model.ts';
import { dayOf } from './range.ts';

/**
 * The embedded model: facts in memory, filled at every start by a consumer group of its own that replays
 * the embedded log from the beginning (ADR 0021). The log is durable, so this model is rebuilt rather than
 * kept: nothing to migrate, nothing that can drift from the events.
 */
export function createMemoryAnalyticsModel(): AnalyticsModel {
  // The ids of the events counted, and their counts by quarter-hour bucket (src/buckets.ts).
  const counted = new Set<string>();
  const buckets = new Map<
    string,
    { slot: Date; attributes: BucketAttributes; count: number; amount: number }
  >();
  // Keyed by (group, event): a new generation's group starts with none of its own.
  const markers = memoryInboxMarkers();
  let groupId = newGroupId();
  return {
    markers,
    async record(fact) {
      if (counted.has(fact.id)) return false;
      counted.add(fact.id);
      const { key, slot, attributes, amount } = bucketOf(fact);
      const bucket = buckets.get(key) ?? { slot, attributes, count: 0, amount: 0 };
      buckets.set(key, bucket);
      bucket.count += 1;
      bucket.amount += amount;
      return true;
    },
    async groups(range: DayRange, filter = {}) {
      const grouped = new Map<string, FactGroup>();
      for (const bucket of buckets.values()) {
        if (bucket.slot < range.start || bucket.slot >= range.end) continue;
        if (filter.doctorId !== undefined && bucket.attributes.doctorId !== filter.doctorId) continue;
        const attributes = { ...bucket.attributes, day: dayOf(bucket.slot, range.timeZone) };
        const key = JSON.stringify(Object.entries(attributes).sort());
        const group = grouped.get(key) ?? { ...attributes, count: 0, amount: 0 };
        grouped.set(key, group);
        group.count += bucket.count;
        group.amount += bucket.amount;
      }
      return [...grouped.values()];
    },
    groupId: async () => groupId,
    async drop() {
      counted.clear();
      buckets.clear();
      groupId = newGroupId();
      return groupId;
    },
    close: async () => {},
  };
}
