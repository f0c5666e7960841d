import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { DateScalar, DateTimeScalar, pageInfoOf } from '@hsg/kit/graphql';
import type { RequestContext } from '@hsg/kit/runtime';
import { type AppointmentDomain, appointmentCursor, type BookAppointmentInput, pageArgs } from './domain.ts';
import type { ConnectionArgs, RequestLoaders } from './loaders.ts';
import type { Appointment, AppointmentPage, Visibility } from './model.ts';
import { validDuration } from './rules.ts';

export interface AppointmentContext extends RequestContext {
  loaders: RequestLoaders;
  /** Which appointments the caller may see (access.ts): every list is narrowed to it. */
  visible: Visibility;
}

/** totalCount is a function: GraphQL calls it only when the client selected the field. */
function connection(
  page: AppointmentPage,
  after: string | null | undefined,
  totalCount: () => Promise<number>,
) {
  const edges = page.appointments.map((node) => ({ cursor: appointmentCursor.encode(node), node }));
  return { edges, pageInfo: pageInfoOf(edges, page.hasNextPage, after), totalCount };
}

type Parent = { id: string };

/** Thin: arguments in, domain call, shape out. Patient and Doctor are stubs by id (owned elsewhere). */
export function createResolvers(domain: AppointmentDomain): GraphQLResolverMap<AppointmentContext> {
  const appointmentsOf =
    (parent: 'patient' | 'doctor') =>
    async ({ id }: Parent, args: ConnectionArgs, { loaders }: AppointmentContext) =>
      connection(await loaders.connections(parent, args).load(id), args.after, () =>
        loaders.counts(parent, args.filter).load(id),
      );

  return {
    Date: DateScalar,
    DateTime: DateTimeScalar,
    Query: {
      appointment: (_: unknown, { id }: { id: string }, { loaders }: AppointmentContext) =>
        loaders.appointment.load(id),
      appointments: async (_: unknown, args: ConnectionArgs, { visible }: AppointmentContext) =>
        connection(
          await domain.list(args.filter, pageArgs(args.first, args.after), visible),
          args.after,
          () => domain.count(args.filter, visible),
        ),
    },
    Mutation: {
      bookAppointment: (
        _: unknown,
        { input }: { input: BookAppointmentInput },
        context: AppointmentContext,
      ) => domain.book(input, context),
      rescheduleAppointment: (
        _: unknown,
        args: { id: string; expectedVersion: number; start: Date; durationMinutes: number },
        context: AppointmentContext,
      ) => domain.reschedule(args.id, args.expectedVersion, args.start, args.durationMinutes, context),
      cancelAppointment: (
        _: unknown,
        args: { id: string; reason?: string | null },
        context: AppointmentContext,
      ) => domain.cancel(args.id, args.reason, context),
      completeAppointment: (_: unknown, { id }: { id: string }, context: AppointmentContext) =>
        domain.complete(id, context),
    },
    Appointment: {
      __resolveReference: ({ id }: Parent, { loaders }: AppointmentContext) => loaders.appointment.load(id),
      patient: (appointment: Appointment) => ({ __typename: 'Patient', id: appointment.patientId }),
      doctor: (appointment: Appointment) => ({ __typename: 'Doctor', id: appointment.doctorId }),
      durationMinutes: (appointment: Appointment) =>
        Math.round((appointment.end.getTime() - appointment.start.getTime()) / 60_000),
    },
    Patient: {
      appointments: appointmentsOf('patient'),
    },
    Doctor: {
      appointments: appointmentsOf('doctor'),
      availableSlots: (
        { id }: Parent,
        args: { date: string; durationMinutes: number },
        { loaders }: AppointmentContext,
      ) => loaders.slots(args.date, validDuration(args.durationMinutes, 'durationMinutes')).load(id),
    },
  };
}
