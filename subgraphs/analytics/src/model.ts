import type { InboxMarkers } from '@hsg/kit/events';
import type { Fact, FactKind } from './facts.ts';

/** A query's span: whole days in one IANA time zone, as the instants [start, end). */
export interface DayRange {
  start: Date;
  end: Date;
  timeZone: string;
  /** Every day of the range, YYYY-MM-DD in the time zone, in order. */
  days: string[];
}

/** The facts of one kind that share every attribute they are counted by, with the day in the range's zone. */
export interface FactGroup {
  kind: FactKind;
  day: string;
  doctorId?: string | undefined;
  currency?: string | undefined;
  code?: string | undefined;
  system?: string | undefined;
  abnormal?: boolean | undefined;
  critical?: boolean | undefined;
  count: number;
  /** The sum of the facts' amounts (0 for facts without money). */
  amount: number;
}

/**
 * The analytics read model (ADR 0021): facts keyed by their event id, so recording one twice counts it
 * once, counted into quarter-hour buckets that queries group into days. MongoDB in real mode, memory when embedded; one contract suite for both.
 */
export interface AnalyticsModel {
  /** Where the consumer's marker inbox keeps its per-(group, event) markers, beside the facts. */
  readonly markers: InboxMarkers;
  /** Counts the fact unless its event was counted already (then false): idempotent by event id. */
  record(fact: Fact): Promise<boolean>;
  /** The facts inside the range (optionally one doctor's), grouped; days in the range's time zone. */
  groups(range: DayRange, filter?: { doctorId?: string }): Promise<FactGroup[]>;
  /**
   * The consumer group whose offsets go with the facts held: created with the model, replaced by drop, so
   * a dropped model is refilled by a group that starts from the beginning of every topic.
   */
  groupId(): Promise<string>;
  /** Removes every fact and marker and starts a new generation; answers its new group id. */
  drop(): Promise<string>;
  close(): Promise<void>;
}

export const newGroupId = () => `analytics.model.${Date.now().toString(36)}.${crypto.randomUUID()}`;
