import { createHash } from 'node:crypto';
import { type ObservationSnapshot, observationCorrected, observationRecorded } from '@hsg/contracts';
import { AppError, isUuid, notFound, staleVersion } from '@hsg/kit';
import { auditedWrite, type RequestAudit } from '@hsg/kit/audit';
import { awaitProjected, classifyAbsence, eventsFrom, type ProjectionLag } from '@hsg/kit/events';
import { cursorCodec, validPageSize } from '@hsg/kit/graphql';
import { v7 as uuidv7 } from 'uuid';
import { revise, toFhir } from './fhir.ts';
import {
  type BatchResultInput,
  emptyPage,
  type Observation,
  type ObservationCursor,
  type ObservationFilter,
  type ObservationPage,
  type ObservationRevision,
  type ObservationSource,
  type PageArgs,
  type RecordLabResultsInput,
  type Visibility,
} from './model.ts';
import {
  correctionResult,
  isAbnormal,
  isCritical,
  type LabResult,
  labBatch,
  messageIdReused,
  ruleViolation,
  supersedes,
  validReason,
} from './rules.ts';
import type { ObservationChange, ObservationStore } from './store.ts';

export const SOURCE = 'urn:hsg:subgraph:observation';
const observationEvent = eventsFrom(SOURCE);

/** Who caused a change: its trace context goes into the events, its audit record into the same commit. */
export interface ChangeContext {
  traceparent?: string | undefined;
  audit?: RequestAudit | undefined;
}

export interface ObservationDomainOptions {
  store: ObservationStore;
  lag: ProjectionLag;
  clock?: () => Date;
}

const lower = (ids: readonly string[]) => ids.filter(isUuid).map((id) => id.toLowerCase());

export const snapshotOf = (observation: Observation): ObservationSnapshot => ({
  id: observation.id,
  patientId: observation.patientId,
  status: observation.status,
  code: observation.code,
  effective: observation.effective?.toISOString() ?? null,
  issued: observation.issued.toISOString(),
  abnormal: observation.abnormal,
  critical: observation.critical,
  source: observation.source,
  version: observation.version,
  fhir: observation.fhir,
});

/** The next version of an observation (or its first) from a checked result. */
function versionOf(
  result: LabResult,
  base: { patientId: string; source: ObservationSource; position: number; now: Date },
  current: Observation | undefined,
): Observation {
  const id = current?.id ?? uuidv7();
  const version = (current?.version ?? 0) + 1;
  const issued = result.issued ?? base.now;
  const fhir = toFhir(result, { id, version, updatedAt: base.now, issued, ...base });
  return {
    id,
    patientId: base.patientId,
    status: result.status,
    code: result.code,
    effective: result.effective,
    issued,
    abnormal: isAbnormal(result.interpretation),
    critical: isCritical(result.interpretation),
    source: base.source,
    version,
    fhir,
    recordedAt: current?.recordedAt ?? base.now,
    updatedAt: base.now,
  };
}

/** The events of a change: recorded for a new observation, corrected for a new version of one. */
function eventsOf(changes: ObservationChange[], context: ChangeContext, reason: string | null = null) {
  const cause = { traceparent: context.traceparent };
  const events = changes.map(({ next, previous }) =>
    previous
      ? observationEvent(
          observationCorrected,
          next.id,
          {
            observation: snapshotOf(next),
            previous: { version: previous.version, status: previous.status },
            reason,
          },
          cause,
        )
      : observationEvent(observationRecorded, next.id, { observation: snapshotOf(next) }, cause),
  );
  const patients = [...new Set(changes.map((change) => change.next.patientId))];
  return [...events, ...patients.flatMap((patientId) => auditedWrite(context, patientId))];
}

/** Observation's use cases: reads narrowed to the caller, batches, corrections. Resolvers only call these. */
export function createObservationDomain({ store, lag, clock = () => new Date() }: ObservationDomainOptions) {
  /** The patient a batch names, waiting briefly for one registered a moment ago (ADR 0006). */
  async function knownPatient(reference: { id: string } | { mrn: string }): Promise<string> {
    const byId = 'id' in reference;
    const field = byId ? 'input.patientId' : 'input.patientMrn';
    const unknown = () => ruleViolation('UNKNOWN_PATIENT', `${field} names no patient known here`, field);
    if (byId && !isUuid(reference.id)) throw unknown();
    const found = await awaitProjected(
      () =>
        byId ? store.patientsByIds([reference.id.toLowerCase()]) : store.patientsByMrns([reference.mrn]),
      (patients) => patients.length > 0,
      lag,
    );
    const patient = found.find((candidate) => candidate.active) ?? found[0];
    if (patient) return patient.id;
    // An MRN carries no mint time: only a stopped projection makes its absence "not yet".
    const notYet = byId
      ? classifyAbsence(reference.id, lag, clock()) === 'not-yet-known'
      : !lag.consumerReady();
    if (notYet)
      throw new AppError(
        'UNAVAILABLE',
        `the patient is not yet known here (their registration may still be on its way); retry shortly`,
        { details: { rule: 'PATIENT_NOT_YET_KNOWN', field } },
      );
    throw unknown();
  }

  async function changeAt(
    id: string,
    expectedVersion: number,
    decide: (current: Observation) => Observation,
    context: ChangeContext,
    reason: string | null,
  ): Promise<Observation> {
    const saved = isUuid(id)
      ? await store.change(id.toLowerCase(), (current) => {
          if (current.version !== expectedVersion)
            throw staleVersion('observation', expectedVersion, current.version);
          if (current.status === 'ENTERED_IN_ERROR')
            throw new AppError(
              'CONFLICT',
              'the observation was entered in error and is closed (rule ENTERED_IN_ERROR)',
              {
                details: { rule: 'ENTERED_IN_ERROR', status: current.status },
              },
            );
          const next = decide(current);
          return { next, events: eventsOf([{ next, previous: current }], context, reason) };
        })
      : undefined;
    if (!saved) throw notFound(`No observation with id ${id}`);
    return saved;
  }

  return {
    byIds: (ids: readonly string[]) => store.observationsByIds(lower(ids)),
    revisionsOf: (ids: readonly string[]): Promise<ObservationRevision[]> => store.revisionsOf(lower(ids)),
    caredForBy: (doctorId: string, patientIds: readonly string[]) =>
      store.caredForBy(doctorId, lower(patientIds)),
    patientsByMrns: (mrns: readonly string[]) => store.patientsByMrns(mrns),

    async listByPatients(
      patientIds: readonly string[],
      filter: ObservationFilter | null | undefined,
      page: PageArgs,
      visible: Visibility,
    ): Promise<ObservationPage[]> {
      const pages =
        visible === 'none'
          ? new Map()
          : await store.listByPatients(lower(patientIds), { ...filter, visible }, page);
      return patientIds.map((id) => pages.get(id.toLowerCase()) ?? emptyPage);
    },

    async countByPatients(
      patientIds: readonly string[],
      filter: ObservationFilter | null | undefined,
      visible: Visibility,
    ): Promise<number[]> {
      const counts =
        visible === 'none'
          ? new Map<string, number>()
          : await store.countByPatients(lower(patientIds), { ...filter, visible });
      return patientIds.map((id) => counts.get(id.toLowerCase()) ?? 0);
    },

    async latestByPatients(
      patientIds: readonly string[],
      codes: readonly string[] | null | undefined,
      visible: Visibility,
    ): Promise<Observation[][]> {
      const found =
        visible === 'none'
          ? []
          : await store.latestByPatients(lower(patientIds), codes ?? undefined, visible);
      return patientIds.map((id) =>
        found.filter((observation) => observation.patientId === id.toLowerCase()),
      );
    },

    /**
     * Records one lab message's results, all or none, once per (facility, message id): the same message
     * again answers its observations with `duplicate: true`; the id reused for other content is CONFLICT.
     * A CORRECTED/AMENDED/ENTERED_IN_ERROR result for the same order and code makes a new version of the
     * current observation (observation.corrected); any other result is a new one (observation.recorded).
     */
    async record(input: RecordLabResultsInput, context: ChangeContext = {}) {
      const batch = labBatch(input);
      const patientId = await knownPatient(batch.patient);
      const now = clock();
      // Hashed before any default is filled in (issued = now), so a retry hashes the same.
      const contentHash = createHash('sha256')
        .update(JSON.stringify({ patientId, source: batch.source, results: batch.results }))
        .digest('hex');
      return store.recordBatch(
        {
          sendingFacility: batch.source.sendingFacility,
          messageId: batch.source.messageId,
          contentHash,
          patientId,
          recordedAt: now,
          results: batch.results.map((result, position) => ({
            position,
            ...(supersedes(result.status) && (result.source.placerOrder || result.source.fillerOrder)
              ? {
                  supersedes: {
                    codeSystem: result.code.system ?? '',
                    code: result.code.code,
                    placerOrder: result.source.placerOrder,
                    fillerOrder: result.source.fillerOrder,
                  },
                }
              : {}),
            build: (current) =>
              versionOf(result, { patientId, source: result.source, position, now }, current),
          })),
          events: (changes) => eventsOf(changes, context),
        },
        messageIdReused,
      );
    },

    /** A new version with the given content, at the version the caller saw; the source stays. */
    correct(id: string, expectedVersion: number, input: BatchResultInput, context: ChangeContext = {}) {
      const result = correctionResult(input);
      return changeAt(
        id,
        expectedVersion,
        (current) => {
          const next = versionOf(
            result,
            { patientId: current.patientId, source: current.source, position: 0, now: clock() },
            current,
          );
          // Its identity in the lab's message is the first version's.
          return { ...next, fhir: { ...next.fhir, identifier: current.fhir.identifier } };
        },
        context,
        null,
      );
    },

    /** Retracts a result: ENTERED_IN_ERROR, hidden from default lists, the reason kept as a note. */
    markEnteredInError(id: string, expectedVersion: number, reason: string, context: ChangeContext = {}) {
      const why = validReason(reason);
      return changeAt(
        id,
        expectedVersion,
        (current) => {
          const now = clock();
          const version = current.version + 1;
          const fhir = revise(current.fhir, {
            version,
            updatedAt: now,
            status: 'ENTERED_IN_ERROR',
            note: why,
          });
          return { ...current, status: 'ENTERED_IN_ERROR', version, fhir, updatedAt: now };
        },
        context,
        why,
      );
    },
  };
}

export type ObservationDomain = ReturnType<typeof createObservationDomain>;

export const observationCursor = cursorCodec<ObservationCursor>(
  (cursor) => [cursor.sortAt.toISOString(), cursor.id],
  ([sortAt, id]) => {
    const at = typeof sortAt === 'string' ? new Date(sortAt) : undefined;
    return at && !Number.isNaN(at.getTime()) && isUuid(id) ? { sortAt: at, id } : undefined;
  },
);

/** Validates `first` (1..100) and decodes `after`. */
export function pageArgs(first: number, after: string | null | undefined): PageArgs {
  return { first: validPageSize(first), after: after ? observationCursor.decode(after) : undefined };
}
