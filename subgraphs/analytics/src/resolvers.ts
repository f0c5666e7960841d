import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { DateScalar } from '@hsg/kit/graphql';
import type { RequestContext } from '@hsg/kit/runtime';
import type { AnalyticsDomain } from './domain.ts';

export type AnalyticsContext = RequestContext;

interface RangeArgs {
  from: string;
  to: string;
  timeZone: string;
}

/** Thin: arguments in, domain call, shape out. */
export function createResolvers(domain: AnalyticsDomain): GraphQLResolverMap<AnalyticsContext> {
  return {
    Date: DateScalar,
    Query: {
      dashboard: (_: unknown, { from, to, timeZone }: RangeArgs) => domain.dashboard(from, to, timeZone),
    },
    Doctor: {
      // Every id is a doctor to analytics: one it never heard of has zero appointments.
      __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
      stats: (doctor: { id: string }, { from, to, timeZone }: RangeArgs) =>
        domain.doctorStats(doctor.id, from, to, timeZone),
    },
    DoctorStats: {
      doctor: (stats: { doctorId: string }) => ({ __typename: 'Doctor', id: stats.doctorId }),
    },
  };
}
