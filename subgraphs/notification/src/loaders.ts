import { entityLoader, loaderMemo } from '@hsg/kit/runtime';
import DataLoader from 'dataloader';
import { type NotificationDomain, pageArgs } from './domain.ts';
import type { Notification, NotificationPage, Visibility } from './model.ts';

export interface ConnectionArgs {
  first: number;
  after?: string | null;
}

/**
 * Per-request batching: every lookup of one kind in a request is one domain (store) call, whatever the
 * number of parents. Notifications by id are not narrowed (the type's policy refuses another patient's,
 * and the policies load through these too); lists hold only what `visible` allows.
 */
export function createRequestLoaders(domain: NotificationDomain, visible: Visibility) {
  const memoized = loaderMemo();
  const doctorId = typeof visible === 'object' && 'doctorId' in visible ? visible.doctorId : undefined;

  return {
    notification: entityLoader<Notification>((ids) => domain.byIds(ids)),
    /** The calling CLINICIAN's reach per patient (nothing for anyone else). */
    reach: new DataLoader<string, { cared: boolean; addressed: boolean }>(async (patientIds) =>
      doctorId
        ? domain.clinicianReach(doctorId, patientIds)
        : patientIds.map(() => ({ cared: false, addressed: false })),
    ),
    /** Notifications per patient, per distinct argument set. */
    notificationsOfPatient(args: ConnectionArgs): DataLoader<string, NotificationPage> {
      const page = pageArgs(args.first, args.after); // validated before batching: one bad argument, one error
      return memoized(
        JSON.stringify(['pages', args.first, args.after ?? null]),
        () => new DataLoader((patientIds) => domain.listByPatients(patientIds, page, visible)),
      );
    },
    countsOfPatient(): DataLoader<string, number> {
      return memoized(
        'counts',
        () => new DataLoader((patientIds) => domain.countByPatients(patientIds, visible)),
      );
    },
  };
}

export type RequestLoaders = ReturnType<typeof createRequestLoaders>;
