import { loaderMemo } from '@hsg/kit/runtime';
import DataLoader from 'dataloader';
import { type ObservationDomain, pageArgs } from './domain.ts';
import type {
  KnownPatient,
  Observation,
  ObservationFilter,
  ObservationPage,
  ObservationRevision,
  Visibility,
} from './model.ts';

export interface ConnectionArgs {
  filter?: ObservationFilter | null;
  first: number;
  after?: string | null;
}

/**
 * Per-request batching: every lookup of one kind in a request is one domain (store) call, whatever the
 * number of parents. Objects by id are not narrowed (the type's policy refuses another patient's, and the
 * policies load through these too); lists hold only what `visible` allows.
 */
export function createRequestLoaders(domain: ObservationDomain, visible: Visibility) {
  const memoized = loaderMemo();
  const doctorId = typeof visible === 'object' && 'doctorId' in visible ? visible.doctorId : undefined;

  return {
    observation: new DataLoader<string, Observation | undefined>(async (ids) => {
      const found = new Map((await domain.byIds(ids)).map((item) => [item.id, item]));
      return ids.map((id) => found.get(id.toLowerCase()));
    }),
    history: new DataLoader<string, ObservationRevision[]>(async (ids) => {
      const revisions = await domain.revisionsOf(ids);
      return ids.map((id) => revisions.filter((revision) => revision.observationId === id.toLowerCase()));
    }),
    /** Whether the calling CLINICIAN has or had an appointment with the patient (false for anyone else). */
    caresFor: new DataLoader<string, boolean>(async (patientIds) => {
      const cared = new Set(doctorId ? await domain.caredForBy(doctorId, patientIds) : []);
      return patientIds.map((id) => cared.has(id.toLowerCase()));
    }),
    patientByMrn: new DataLoader<string, KnownPatient | undefined>(async (mrns) => {
      const found = await domain.patientsByMrns(mrns);
      return mrns.map(
        (mrn) =>
          found.find((patient) => patient.mrn === mrn && patient.active) ??
          found.find((patient) => patient.mrn === mrn),
      );
    }),
    /** Observations per patient, per distinct argument set. */
    observationsOfPatient(args: ConnectionArgs): DataLoader<string, ObservationPage> {
      const page = pageArgs(args.first, args.after); // validated before batching: one bad argument, one error
      return memoized(
        JSON.stringify(['pages', args.filter ?? {}, args.first, args.after ?? null]),
        () => new DataLoader((patientIds) => domain.listByPatients(patientIds, args.filter, page, visible)),
      );
    },
    countsOfPatient(filter: ObservationFilter | null | undefined): DataLoader<string, number> {
      return memoized(
        JSON.stringify(['counts', filter ?? {}]),
        () => new DataLoader((patientIds) => domain.countByPatients(patientIds, filter, visible)),
      );
    },
    latestOfPatient(codes: readonly string[] | null | undefined): DataLoader<string, Observation[]> {
      return memoized(
        JSON.stringify(['latest', codes ?? null]),
        () => new DataLoader((patientIds) => domain.latestByPatients(patientIds, codes, visible)),
      );
    },
  };
}

export type RequestLoaders = ReturnType<typeof createRequestLoaders>;
