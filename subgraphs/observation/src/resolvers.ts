import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { DateTimeScalar, pageInfoOf } from '@hsg/kit/graphql';
import type { RequestContext } from '@hsg/kit/runtime';
import { GraphQLScalarType } from 'graphql';
import { type ObservationDomain, observationCursor } from './domain.ts';
import { fhirFields } from './fhir.ts';
import type { ConnectionArgs, RequestLoaders } from './loaders.ts';
import {
  type FhirObservation,
  type LabResultInput,
  type Observation,
  type ObservationPage,
  type ObservationRevision,
  type RecordLabResultsInput,
  sortAtOf,
  type Visibility,
} from './model.ts';

export interface ObservationContext extends RequestContext {
  loaders: RequestLoaders;
  /** Whose results the caller may list (access.ts): every list is narrowed to it. */
  visible: Visibility;
}

/** Output only: the FHIR documents go out as JSON objects; nothing takes JSON in. */
const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: () => {
    throw new TypeError('JSON is an output type here');
  },
  parseLiteral: () => {
    throw new TypeError('JSON is an output type here');
  },
});

/** totalCount is a function: GraphQL calls it only when the client selected the field. */
function connection(
  page: ObservationPage,
  after: string | null | undefined,
  totalCount: () => Promise<number>,
) {
  const edges = page.observations.map((node) => ({
    cursor: observationCursor.encode({ sortAt: sortAtOf(node), id: node.id }),
    node,
  }));
  return { edges, pageInfo: pageInfoOf(edges, page.hasNextPage, after), totalCount };
}

const observationsOf = async (patientId: string, args: ConnectionArgs, { loaders }: ObservationContext) =>
  connection(await loaders.observationsOfPatient(args).load(patientId), args.after, () =>
    loaders.countsOfPatient(args.filter).load(patientId),
  );

const fhirOf = (observation: Observation) => observation.fhir;
const read =
  (pick: (fhir: FhirObservation) => unknown, fallback: unknown = null) =>
  (observation: Observation) =>
    pick(observation.fhir) ?? fallback;

/** Thin: arguments in, domain call, shape out. The value fields read the stored FHIR document. */
export function createResolvers(domain: ObservationDomain): GraphQLResolverMap<ObservationContext> {
  // A change makes what the request's loaders read before it stale (the policies load first).
  const fresh = (context: ObservationContext, observation: Observation) => {
    context.loaders.observation.clear(observation.id).prime(observation.id, observation);
    context.loaders.history.clear(observation.id);
    return observation;
  };
  return {
    DateTime: DateTimeScalar,
    JSON: JSONScalar,
    Query: {
      observation: (_: unknown, { id }: { id: string }, { loaders }: ObservationContext) =>
        loaders.observation.load(id),
      observations: (_: unknown, args: ConnectionArgs & { patientId: string }, context: ObservationContext) =>
        observationsOf(args.patientId, args, context),
    },
    Mutation: {
      recordLabResults: async (
        _: unknown,
        { input }: { input: RecordLabResultsInput },
        context: ObservationContext,
      ) => {
        const recorded = await domain.record(input, context);
        for (const observation of recorded.observations) fresh(context, observation);
        return recorded;
      },
      correctObservation: async (
        _: unknown,
        args: { id: string; expectedVersion: number; input: LabResultInput },
        context: ObservationContext,
      ) => fresh(context, await domain.correct(args.id, args.expectedVersion, args.input, context)),
      markObservationEnteredInError: async (
        _: unknown,
        args: { id: string; expectedVersion: number; reason: string },
        context: ObservationContext,
      ) =>
        fresh(context, await domain.markEnteredInError(args.id, args.expectedVersion, args.reason, context)),
    },
    Observation: {
      __resolveReference: (reference: { id?: unknown }, { loaders }: ObservationContext) =>
        typeof reference.id === 'string' ? loaders.observation.load(reference.id) : null,
      patient: (observation: Observation) => ({ __typename: 'Patient', id: observation.patientId }),
      code: read(fhirFields.code),
      category: read(fhirFields.category, []),
      valueQuantity: read((fhir) => fhir.valueQuantity),
      valueString: read((fhir) => fhir.valueString),
      valueCodeableConcept: read(fhirFields.valueCodeableConcept),
      valueRange: read((fhir) => fhir.valueRange),
      valueRatio: read((fhir) => fhir.valueRatio),
      valueDateTime: read(fhirFields.valueDateTime),
      interpretation: read(fhirFields.interpretation, []),
      referenceRange: read((fhir) => fhir.referenceRange, []),
      note: read(fhirFields.note),
      history: (observation: Observation, _: unknown, { loaders }: ObservationContext) =>
        loaders.history.load(observation.id),
      fhir: fhirOf,
    },
    ObservationRevision: {
      fhir: (revision: ObservationRevision) => revision.fhir,
    },
    Patient: {
      observations: ({ id }: { id: string }, args: ConnectionArgs, context: ObservationContext) =>
        observationsOf(id, args, context),
      latestResults: (
        { id }: { id: string },
        { codes }: { codes?: string[] | null },
        { loaders }: ObservationContext,
      ) => loaders.latestOfPatient(codes).load(id),
    },
  };
}
