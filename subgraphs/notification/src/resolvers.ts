import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { DateTimeScalar, pageInfoOf } from '@hsg/kit/graphql';
import type { RequestContext } from '@hsg/kit/runtime';
import { notificationCursor } from './domain.ts';
import type { ConnectionArgs, RequestLoaders } from './loaders.ts';
import type { Notification, NotificationPage, Visibility } from './model.ts';

export interface NotificationContext extends RequestContext {
  loaders: RequestLoaders;
  /** Which notifications the caller may see (access.ts): every list is narrowed to it. */
  visible: Visibility;
}

/** totalCount is a function: GraphQL calls it only when the client selected the field. */
function connection(
  page: NotificationPage,
  after: string | null | undefined,
  totalCount: () => Promise<number>,
) {
  const edges = page.notifications.map((node) => ({ cursor: notificationCursor.encode(node), node }));
  return { edges, pageInfo: pageInfoOf(edges, page.hasNextPage, after), totalCount };
}

const notificationsOf = async (patientId: string, args: ConnectionArgs, { loaders }: NotificationContext) =>
  connection(await loaders.notificationsOfPatient(args).load(patientId), args.after, () =>
    loaders.countsOfPatient().load(patientId),
  );

type Parent = { id: string };

/** Thin: arguments in, loader (domain) call, shape out. Patient is a stub by id (owned by patient). */
export function createResolvers(): GraphQLResolverMap<NotificationContext> {
  return {
    DateTime: DateTimeScalar,
    Query: {
      notifications: (
        _: unknown,
        { patientId, ...args }: ConnectionArgs & { patientId: string },
        context: NotificationContext,
      ) => notificationsOf(patientId, args, context),
    },
    Notification: {
      __resolveReference: ({ id }: Parent, { loaders }: NotificationContext) => loaders.notification.load(id),
      patient: (notification: Notification) => ({ __typename: 'Patient', id: notification.patientId }),
    },
    Patient: {
      notifications: ({ id }: Parent, args: ConnectionArgs, context: NotificationContext) =>
        notificationsOf(id, args, context),
    },
  };
}
