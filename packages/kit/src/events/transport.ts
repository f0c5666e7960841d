/**
 * The event transport seam: Kafka in real mode, the embedded durable log in single-process mode. Both keep
 * the same contract: topics with partitions, records routed by key (one key, one partition, in order),
 * consumer groups with committed offsets, at-least-once delivery, replay from the beginning.
 */
export interface TransportRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface ConsumedRecord extends TransportRecord {
  partition: number;
  offset: number;
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
}

/** One topic-partition's records, in offset order. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /** Marks a record (and everything before it) done; the offset after it is committed when the batch ends. */
  markProcessed(record: ConsumedRecord): void;
  /** True once the consumer is stopping: finish the record in hand, then return. */
  isStopping(): boolean;
  /** Keeps group membership alive during a long batch. */
  heartbeat(): Promise<void>;
}

export interface ConsumeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: the oldest record, or only new ones. */
  fromBeginning: boolean;
  onBatch(batch: ConsumedBatch): Promise<void>;
  /**
   * For a consumer whose lag may be a moment (the audit trail): the broker holds a fetch until this many
   * bytes are there or this long has passed, so a busy topic arrives in fewer, larger batches. Default:
   * each record as soon as it is there. The embedded log delivers as it always does.
   */
  batching?: { minBytes: number; maxWaitMs: number };
}

export type ComponentState = 'starting' | 'ready' | 'degraded' | 'stopping' | 'stopped';

export interface ConsumerHandle {
  state(): ComponentState;
  /** Pauses fetching, lets the batch in hand finish, commits its offsets and leaves the group. */
  stop(): Promise<void>;
}

export interface EventTransport {
  readonly kind: 'kafka' | 'embedded';
  /** Creates the topics that do not exist yet (existing ones are left as they are). */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Resolves once every record is durably stored (Kafka: acks from all in-sync replicas). */
  send(records: TransportRecord[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<ConsumerHandle>;
  close(): Promise<void>;
}

export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;
