import type { OutgoingEvent } from '@hsg/kit/events';
import type {
  KnownPatient,
  Observation,
  ObservationFilter,
  ObservationPage,
  ObservationRevision,
  PageArgs,
  Visibility,
} from './model.ts';

/** A new version of an observation and the one it replaced (none for a new observation). */
export interface ObservationChange {
  next: Observation;
  previous: Observation | undefined;
}

/** One result of a batch: what it may supersede, and how its version is built from that. */
export interface PlannedResult {
  position: number;
  /** Set for a CORRECTED/AMENDED/ENTERED_IN_ERROR result with an order: the current one it replaces. */
  supersedes?: { codeSystem: string; code: string; placerOrder: string | null; fillerOrder: string | null };
  build(current: Observation | undefined): Observation;
}

export interface BatchPlan {
  sendingFacility: string;
  messageId: string;
  /** Of the batch's content: the same message again has the same hash. */
  contentHash: string;
  patientId: string;
  recordedAt: Date;
  results: PlannedResult[];
  events(changes: ObservationChange[]): OutgoingEvent[];
}

/** What lists and counts select; `visible` narrows them to the caller's reach, in SQL. */
export interface ListFilter extends ObservationFilter {
  visible: Exclude<Visibility, 'none'>;
}

/**
 * Where observations live. Reads take many keys at once, so a request makes one call per entity type.
 * Writes run in one transaction with their outbox events: a batch is all or nothing.
 */
export interface ObservationStore {
  patientsByIds(ids: readonly string[]): Promise<KnownPatient[]>;
  patientsByMrns(mrns: readonly string[]): Promise<KnownPatient[]>;
  /** Which of these patients the doctor has or had an appointment with. */
  caredForBy(doctorId: string, patientIds: readonly string[]): Promise<string[]>;
  observationsByIds(ids: readonly string[]): Promise<Observation[]>;
  /** Earlier versions of these observations, newest first. */
  revisionsOf(ids: readonly string[]): Promise<ObservationRevision[]>;
  listByPatients(
    patientIds: readonly string[],
    filter: ListFilter,
    page: PageArgs,
  ): Promise<Map<string, ObservationPage>>;
  countByPatients(patientIds: readonly string[], filter: ListFilter): Promise<Map<string, number>>;
  /** The newest observation per code and patient (codes: all when undefined), hiding retracted ones. */
  latestByPatients(
    patientIds: readonly string[],
    codes: readonly string[] | undefined,
    visible: ListFilter['visible'],
  ): Promise<Observation[]>;
  /**
   * Records a batch once: the same (facility, message id) with the same hash answers the stored
   * observations (duplicate), with another hash throws `conflictOnReuse()`.
   */
  recordBatch(
    plan: BatchPlan,
    conflictOnReuse: () => Error,
  ): Promise<{ observations: Observation[]; duplicate: boolean }>;
  /** Undefined when there is no such observation; `decide` gets it locked and throws to refuse. */
  change(
    id: string,
    decide: (current: Observation) => { next: Observation; events: OutgoingEvent[] },
  ): Promise<Observation | undefined>;
}
