import type { Fact } from './facts.ts';
import type { FactGroup } from './model.ts';

/**
 * The read model counts facts into quarter-hour buckets (ADR 0021, amended): a dashboard reads buckets,
 * not facts, so its cost follows the range and the variety of what happened, not the volume. A quarter of
 * an hour, because every time zone's offset from UTC is a whole number of quarter hours (+5:45 Nepal,
 * +5:30 India, −9:30 Marquesas): a bucket never straddles a local midnight, so days stay exact in any zone.
 */
export const slotMs = 15 * 60_000;

export const slotOf = (at: Date): Date => new Date(Math.floor(at.getTime() / slotMs) * slotMs);

/** What a fact is counted by: everything but its id, instant and amount. */
export type BucketAttributes = Omit<FactGroup, 'day' | 'count' | 'amount'>;

export interface BucketOf {
  /** Deterministic over the attributes and the slot: the bucket's document id. */
  key: string;
  slot: Date;
  attributes: BucketAttributes;
  amount: number;
}

export function bucketOf(fact: Fact): BucketOf {
  const { id: _id, at, amount = 0, ...attributes } = fact;
  const slot = slotOf(at);
  const ordered = Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    key: JSON.stringify([slot.toISOString(), ...ordered]),
    slot,
    attributes: Object.fromEntries(ordered) as BucketAttributes,
    amount,
  };
}
