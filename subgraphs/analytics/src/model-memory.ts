import { memoryInboxMarkers } from '@hsg/kit/events';
import type { Fact } from './facts.ts';
import { type AnalyticsModel, type DayRange, type FactGroup, newGroupId } from './model.ts';
import { dayOf } from './range.ts';

/**
 * The embedded model: facts in memory, filled at every start by a consumer group of its own that replays
 * the embedded log from the beginning (ADR 0021). The log is durable, so this model is rebuilt rather than
 * kept: nothing to migrate, nothing that can drift from the events.
 */
export function createMemoryAnalyticsModel(): AnalyticsModel {
  const facts = new Map<string, Fact>();
  // Keyed by (group, event): a new generation's group starts with none of its own.
  const markers = memoryInboxMarkers();
  let groupId = newGroupId();
  return {
    markers,
    async record(fact) {
      if (facts.has(fact.id)) return false;
      facts.set(fact.id, { ...fact });
      return true;
    },
    async groups(range: DayRange, filter = {}) {
      const grouped = new Map<string, FactGroup>();
      for (const fact of facts.values()) {
        if (fact.at < range.start || fact.at >= range.end) continue;
        if (filter.doctorId !== undefined && fact.doctorId !== filter.doctorId) continue;
        const { id: _id, at, amount = 0, ...by } = fact;
        const attributes = { ...by, day: dayOf(at, range.timeZone) };
        const key = JSON.stringify(Object.entries(attributes).sort());
        const group = grouped.get(key) ?? { ...attributes, count: 0, amount: 0 };
        grouped.set(key, group);
        group.count += 1;
        group.amount += amount;
      }
      return [...grouped.values()];
    },
    groupId: async () => groupId,
    async drop() {
      facts.clear();
      groupId = newGroupId();
      return groupId;
    },
    close: async () => {},
  };
}
