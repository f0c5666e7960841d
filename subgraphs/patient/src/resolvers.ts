import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { humanNameText, nameCursor } from '@hsg/kit';
import { DateScalar, DateTimeScalar, pageInfoOf } from '@hsg/kit/graphql';
import type { RequestContext } from '@hsg/kit/runtime';
import type DataLoader from 'dataloader';
import { scopeOf } from './access.ts';
import type { PatientDomain } from './domain.ts';
import type { Patient } from './model.ts';

export interface PatientContext extends RequestContext {
  /** Batches every patient lookup of one request into one store query. */
  patientLoader: DataLoader<string, Patient | undefined>;
  /** CLINICIAN: whether they have or had an appointment with a patient (access.ts), batched alike. */
  caresFor: DataLoader<string, boolean>;
}

/** Thin: arguments in, domain call, shape out. */
export function createResolvers(domain: PatientDomain): GraphQLResolverMap<PatientContext> {
  return {
    Date: DateScalar,
    DateTime: DateTimeScalar,
    Query: {
      patient: (_: unknown, { id }: { id: string }, { patientLoader }: PatientContext) =>
        patientLoader.load(id),
      patientByMrn: (_: unknown, { mrn }: { mrn: string }) => domain.byMrn(mrn),
      patients: async (
        _: unknown,
        args: { filter?: Parameters<PatientDomain['search']>[0]; first: number; after?: string | null },
        { principal }: PatientContext,
      ) => {
        // Only the patients the caller may see, so the page and totalCount hold only those.
        const page = await domain.search(args.filter, args.first, args.after, scopeOf(principal));
        const edges = page.patients.map(({ patient, cursor }) => ({
          cursor: nameCursor.encode(cursor),
          node: patient,
        }));
        return {
          edges,
          pageInfo: pageInfoOf(edges, page.hasNextPage, args.after),
          totalCount: page.totalCount,
        };
      },
    },
    Mutation: {
      registerPatient: (
        _: unknown,
        { input }: { input: Parameters<PatientDomain['register']>[0] },
        context: PatientContext,
      ) => domain.register(input, context),
      updatePatient: (
        _: unknown,
        args: { id: string; expectedVersion: number; input: Parameters<PatientDomain['update']>[2] },
        context: PatientContext,
      ) => domain.update(args.id, args.expectedVersion, args.input, context),
      deactivatePatient: (
        _: unknown,
        args: { id: string; reason?: string | null },
        context: PatientContext,
      ) => domain.deactivate(args.id, args.reason, context),
    },
    Patient: {
      __resolveReference: (reference: { id: string }, { patientLoader }: PatientContext) =>
        patientLoader.load(reference.id),
    },
    HumanName: {
      text: humanNameText,
    },
  };
}
