import type {
  Coding,
  FhirObservation,
  ObservationSource,
  ObservationStatus,
  OrderingProvider,
  Quantity,
} from './model.ts';
import type { LabResult } from './rules.ts';

/**
 * The FHIR R4 Observation document of one version of a result: what `fhir` answers, what the revisions
 * keep, and what the other GraphQL fields read (one source, so they never disagree).
 */
const interpretationSystem = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const categorySystem = 'http://terminology.hl7.org/CodeSystem/observation-category';
const absentSystem = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';

export const fhirStatusOf = (status: ObservationStatus): string => status.toLowerCase().replaceAll('_', '-');

/** Leaves out null and undefined members: FHIR has no nulls. */
function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, item]) => item !== null && item !== undefined),
  ) as Partial<T>;
}

const codingOf = (coding: Coding) =>
  compact({ system: coding.system, code: coding.code, display: coding.display });
const concept = (coding: Coding) => ({ coding: [codingOf(coding)] });
const quantityOf = (quantity: Quantity | null | undefined) =>
  quantity
    ? compact({
        value: quantity.value,
        comparator: quantity.comparator,
        unit: quantity.unit,
        system: quantity.system,
        code: quantity.code,
      })
    : undefined;
const rangeOf = (range: { low?: Quantity | null; high?: Quantity | null }) =>
  compact({ low: quantityOf(range.low), high: quantityOf(range.high) });
const nonEmpty = <T extends object>(value: T) => (Object.keys(value).length > 0 ? value : undefined);
const isoOf = (date: Date | null) => (date ? date.toISOString() : undefined);

export interface DocumentFacts {
  id: string;
  patientId: string;
  version: number;
  updatedAt: Date;
  issued: Date;
  source: ObservationSource;
  /** The result's position in its lab message (its identifier there). */
  position: number;
}

const orderIdentifier = (order: { type: string; value: string }) => ({
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: order.type }] },
  value: order.value,
});

/** The ordering provider kept in a document by toFhir (its contained order's requester), if any. */
export function orderingProviderOf(fhir: FhirObservation): OrderingProvider | null {
  const contained = (fhir as { contained?: Array<Record<string, unknown>> }).contained ?? [];
  const order = contained.find((resource) => resource.resourceType === 'ServiceRequest');
  const requester = order?.requester as { identifier?: { value?: string }; display?: string } | undefined;
  const identifier = requester?.identifier?.value;
  return identifier ? { identifier, name: requester?.display ?? null } : null;
}

export function toFhir(result: LabResult, facts: DocumentFacts): FhirObservation {
  const { source } = facts;
  const hasValue = [
    result.valueQuantity,
    result.valueString,
    result.valueCoding,
    result.valueRange,
    result.valueRatio,
    result.valueDateTime,
  ].some((value) => value !== null);
  const orders = [
    source.placerOrder && { type: 'PLAC', value: source.placerOrder },
    source.fillerOrder && { type: 'FILL', value: source.fillerOrder },
  ].filter((order): order is { type: string; value: string } => Boolean(order));
  const categories =
    result.category.length > 0
      ? result.category
      : [{ system: categorySystem, code: 'laboratory', display: 'Laboratory' }];
  return compact({
    resourceType: 'Observation' as const,
    id: facts.id,
    meta: { versionId: String(facts.version), lastUpdated: facts.updatedAt.toISOString() },
    identifier: [
      {
        system: `urn:hsg:lab:${encodeURIComponent(source.sendingFacility)}`,
        value: `${source.messageId}#${facts.position}`,
      },
    ],
    // The orderer belongs to the order (a ServiceRequest's requester), not to the result: with one
    // known, the order is contained in the resource; without, the order's identifiers are enough.
    contained: source.orderingProvider
      ? [
          compact({
            resourceType: 'ServiceRequest',
            id: 'order',
            status: 'unknown',
            intent: 'order',
            identifier: orders.length > 0 ? orders.map(orderIdentifier) : undefined,
            subject: { reference: `Patient/${facts.patientId}` },
            requester: compact({
              identifier: { value: source.orderingProvider.identifier },
              display: source.orderingProvider.name ?? undefined,
            }),
          }),
        ]
      : undefined,
    basedOn: source.orderingProvider
      ? [{ reference: '#order', type: 'ServiceRequest' }]
      : orders.length > 0
        ? orders.map((order) => ({ type: 'ServiceRequest', identifier: orderIdentifier(order) }))
        : undefined,
    status: fhirStatusOf(result.status),
    category: categories.map(concept),
    code: concept(result.code),
    subject: { reference: `Patient/${facts.patientId}` },
    effectiveDateTime: isoOf(result.effective),
    issued: facts.issued.toISOString(),
    valueQuantity: quantityOf(result.valueQuantity),
    valueString: result.valueString ?? undefined,
    valueCodeableConcept: result.valueCoding ? concept(result.valueCoding) : undefined,
    valueRange: result.valueRange ? nonEmpty(rangeOf(result.valueRange)) : undefined,
    valueRatio: result.valueRatio
      ? nonEmpty(
          compact({
            numerator: quantityOf(result.valueRatio.numerator),
            denominator: quantityOf(result.valueRatio.denominator),
          }),
        )
      : undefined,
    valueDateTime: isoOf(result.valueDateTime),
    // FHIR's obs-6: a reason only where there is no value; a cancelled test was not performed.
    dataAbsentReason:
      !hasValue && result.status === 'CANCELLED'
        ? { coding: [{ system: absentSystem, code: 'not-performed', display: 'Not Performed' }] }
        : undefined,
    interpretation:
      result.interpretation.length > 0
        ? result.interpretation.map((code) => ({ coding: [{ system: interpretationSystem, code }] }))
        : undefined,
    note: result.note ? [{ text: result.note }] : undefined,
    referenceRange:
      result.referenceRange.length > 0
        ? result.referenceRange.map((range) => compact({ ...rangeOf(range), text: range.text }))
        : undefined,
  }) as FhirObservation;
}

/** The document of a new version of the same observation: status (and note) changed, meta bumped. */
export function revise(
  fhir: FhirObservation,
  change: { version: number; updatedAt: Date; status: ObservationStatus; note?: string },
): FhirObservation {
  const notes = (fhir.note as Array<{ text: string }> | undefined) ?? [];
  return {
    ...fhir,
    meta: { versionId: String(change.version), lastUpdated: change.updatedAt.toISOString() },
    status: fhirStatusOf(change.status),
    ...(change.note ? { note: [...notes, { text: change.note }] } : {}),
  };
}

// Reading GraphQL's shapes back from the document (the types mirror FHIR's).
type Concept = { coding?: Array<Record<string, unknown>>; text?: string };
const conceptOf = (value: unknown) =>
  value ? { coding: (value as Concept).coding ?? [], text: (value as Concept).text ?? null } : null;

export const fhirFields = {
  category: (fhir: FhirObservation) => ((fhir.category as Concept[] | undefined) ?? []).map(conceptOf),
  code: (fhir: FhirObservation) => conceptOf(fhir.code),
  valueCodeableConcept: (fhir: FhirObservation) => conceptOf(fhir.valueCodeableConcept),
  valueDateTime: (fhir: FhirObservation) =>
    typeof fhir.valueDateTime === 'string' ? new Date(fhir.valueDateTime) : null,
  interpretation: (fhir: FhirObservation) =>
    ((fhir.interpretation as Concept[] | undefined) ?? []).flatMap((item) =>
      (item.coding ?? []).map((coding) => String(coding.code)),
    ),
  note: (fhir: FhirObservation) => {
    const notes = (fhir.note as Array<{ text: string }> | undefined) ?? [];
    return notes.length > 0 ? notes.map((note) => note.text).join('\n') : null;
  },
};
