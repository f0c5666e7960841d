import { loaderMemo } from '@hsg/kit/runtime';
import DataLoader from 'dataloader';
import { type AppointmentDomain, pageArgs } from './domain.ts';
import type { Appointment, AppointmentFilter, AppointmentPage, Interval, Visibility } from './model.ts';

export interface ConnectionArgs {
  filter?: AppointmentFilter | null;
  first: number;
  after?: string | null;
}

/**
 * Per-request batching: every lookup of one kind in a request becomes one domain (store) call, whatever
 * the number of parents. Lists are batched per distinct argument set, keyed by the parent's id, and hold
 * only what the caller may see (`visible`). Appointments by id are not narrowed: the type's policy
 * refuses another's (FORBIDDEN, not null), and the mutations' policies look them up here.
 */
export function createRequestLoaders(domain: AppointmentDomain, visible: Visibility) {
  const appointment = new DataLoader<string, Appointment | undefined>(async (ids) => {
    const found = await domain.byIds(ids);
    const byId = new Map(found.map((item) => [item.id, item]));
    return ids.map((id) => byId.get(id.toLowerCase()));
  });
  const memoized = loaderMemo();

  return {
    appointment,
    connections(parent: 'patient' | 'doctor', args: ConnectionArgs): DataLoader<string, AppointmentPage> {
      const page = pageArgs(args.first, args.after); // validated before batching: one bad argument, one error
      return memoized(
        JSON.stringify(['connections', parent, args.filter ?? {}, args.first, args.after ?? null]),
        () =>
          new DataLoader((parentIds) => domain.listByParents(parent, parentIds, args.filter, page, visible)),
      );
    },
    counts(
      parent: 'patient' | 'doctor',
      filter: AppointmentFilter | null | undefined,
    ): DataLoader<string, number> {
      return memoized(
        JSON.stringify(['counts', parent, filter ?? {}]),
        () => new DataLoader((parentIds) => domain.countByParents(parent, parentIds, filter, visible)),
      );
    },
    slots(date: string, durationMinutes: number): DataLoader<string, Interval[]> {
      return memoized(
        JSON.stringify(['slots', date, durationMinutes]),
        () => new DataLoader((doctorIds) => domain.slots(doctorIds, date, durationMinutes)),
      );
    },
  };
}

export type RequestLoaders = ReturnType<typeof createRequestLoaders>;
