import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { humanNameText, isUuid, nameCursor } from '@hsg/kit';
import { DateTimeScalar, pageInfoOf } from '@hsg/kit/graphql';
import type { RequestContext } from '@hsg/kit/runtime';
import type DataLoader from 'dataloader';
import type { DoctorDomain } from './domain.ts';
import type { Doctor } from './model.ts';

export interface DoctorContext extends RequestContext {
  /** Batches every doctor lookup of one request into one store query. */
  doctorLoader: DataLoader<string, Doctor | undefined>;
}

type Args<Method extends keyof DoctorDomain, Index extends number> = Parameters<DoctorDomain[Method]>[Index];

/** Thin: arguments in, domain call, shape out. */
export function createResolvers(domain: DoctorDomain): GraphQLResolverMap<DoctorContext> {
  return {
    DateTime: DateTimeScalar,
    Query: {
      doctor: (_: unknown, { id }: { id: string }, { doctorLoader }: DoctorContext) => doctorLoader.load(id),
      doctors: async (
        _: unknown,
        args: { filter?: Args<'search', 0>; first: number; after?: string | null },
      ) => {
        const page = await domain.search(args.filter, args.first, args.after);
        const edges = page.doctors.map(({ doctor, cursor }) => ({
          cursor: nameCursor.encode(cursor),
          node: doctor,
        }));
        return {
          edges,
          pageInfo: pageInfoOf(edges, page.hasNextPage, args.after),
          totalCount: page.totalCount,
        };
      },
    },
    Mutation: {
      registerDoctor: (_: unknown, { input }: { input: Args<'register', 0> }, context: DoctorContext) =>
        domain.register(input, context),
      updateDoctor: (
        _: unknown,
        args: { id: string; expectedVersion: number; input: Args<'update', 2> },
        context: DoctorContext,
      ) => domain.update(args.id, args.expectedVersion, args.input, context),
      deactivateDoctor: (_: unknown, args: { id: string; reason?: string | null }, context: DoctorContext) =>
        domain.deactivate(args.id, args.reason, context),
    },
    Doctor: {
      // An id that cannot exist resolves to null, like an unknown one, rather than failing the whole batch.
      __resolveReference: (reference: { id?: unknown }, { doctorLoader }: DoctorContext) =>
        isUuid(reference.id) ? doctorLoader.load(reference.id) : null,
    },
    HumanName: {
      text: humanNameText,
    },
  };
}
