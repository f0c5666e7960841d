import { isUuid } from '@hsg/kit';
import { cursorCodec, validPageSize } from '@hsg/kit/graphql';
import {
  emptyPage,
  type Notification,
  type NotificationCursor,
  type NotificationPage,
  type PageArgs,
  type Visibility,
} from './model.ts';
import type { NotificationStore } from './store.ts';

/** Ids as the store holds them (UUIDs in lower case); anything else names nothing. */
const lower = (ids: readonly string[]) => ids.filter(isUuid).map((id) => id.toLowerCase());

export interface NotificationDomainOptions {
  store: NotificationStore;
}

/** Notification's reads (it has no mutations: notifications come from events). Resolvers only call these. */
export function createNotificationDomain({ store }: NotificationDomainOptions) {
  return {
    byIds: (ids: readonly string[]): Promise<Notification[]> => store.notificationsByIds(lower(ids)),

    /** One page per patient, in the order given, of what `visible` lets through. */
    async listByPatients(
      patientIds: readonly string[],
      page: PageArgs,
      visible: Visibility,
    ): Promise<NotificationPage[]> {
      const pages =
        visible === 'none' ? new Map() : await store.listByPatients(lower(patientIds), visible, page);
      return patientIds.map((id) => pages.get(id.toLowerCase()) ?? emptyPage);
    },

    async countByPatients(patientIds: readonly string[], visible: Visibility): Promise<number[]> {
      const counts =
        visible === 'none'
          ? new Map<string, number>()
          : await store.countByPatients(lower(patientIds), visible);
      return patientIds.map((id) => counts.get(id.toLowerCase()) ?? 0);
    },

    /** Per patient, in the order given: whether the doctor cares for them, and whether any is addressed to them. */
    async clinicianReach(
      doctorId: string,
      patientIds: readonly string[],
    ): Promise<Array<{ cared: boolean; addressed: boolean }>> {
      const reach = isUuid(doctorId)
        ? await store.clinicianReach(doctorId.toLowerCase(), lower(patientIds))
        : { cared: [], addressed: [] };
      const cared = new Set(reach.cared);
      const addressed = new Set(reach.addressed);
      return patientIds.map((id) => ({
        cared: cared.has(id.toLowerCase()),
        addressed: addressed.has(id.toLowerCase()),
      }));
    },
  };
}

export type NotificationDomain = ReturnType<typeof createNotificationDomain>;

/** Notifications are ordered newest first: by createdAt, then id, both descending. */
export const notificationCursor = cursorCodec<NotificationCursor>(
  (cursor) => [cursor.createdAt.toISOString(), cursor.id],
  ([createdAt, id]) => {
    const at = typeof createdAt === 'string' ? new Date(createdAt) : undefined;
    return at && !Number.isNaN(at.getTime()) && isUuid(id) ? { createdAt: at, id } : undefined;
  },
);

/** Validates `first` (1..100) and decodes `after`. */
export function pageArgs(first: number, after: string | null | undefined): PageArgs {
  return { first: validPageSize(first), after: after ? notificationCursor.decode(after) : undefined };
}
