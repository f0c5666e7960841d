import type { ObservationStatus } from '@hsg/contracts';

export type { ObservationStatus };

/** A FHIR R4 Observation resource as stored (a JSON object; fhir.ts builds it). */
export type FhirObservation = Record<string, unknown> & { resourceType: 'Observation'; id: string };

export interface Coding {
  system: string | null;
  code: string;
  display: string | null;
}

export interface Quantity {
  value: number;
  unit?: string | null;
  system?: string | null;
  code?: string | null;
  comparator?: string | null;
}

export interface Range {
  low?: Quantity | null;
  high?: Quantity | null;
}

export interface Ratio {
  numerator?: Quantity | null;
  denominator?: Quantity | null;
}

export interface ReferenceRange extends Range {
  text?: string | null;
}

/** One result of a lab batch (an OBX segment), or the content of a correction: as GraphQL hands it in. */
export interface LabResultInput {
  code: Coding;
  status: ObservationStatus;
  category?: Coding[] | null;
  effective?: Date | null;
  issued?: Date | null;
  valueQuantity?: Quantity | null;
  valueString?: string | null;
  valueCoding?: Coding | null;
  valueRange?: Range | null;
  valueRatio?: Ratio | null;
  valueDateTime?: Date | null;
  interpretation?: string[] | null;
  referenceRange?: ReferenceRange[] | null;
  note?: string | null;
}

/** A result of a lab batch: it may name its own order (a message's OBR group), else the batch source's. */
export interface BatchResultInput extends LabResultInput {
  placerOrder?: string | null;
  fillerOrder?: string | null;
  orderingProvider?: OrderingProvider | null;
}

/** Who ordered the test (HL7 OBR-16): identifier is a doctor's license number when the lab knows it. */
export interface OrderingProvider {
  identifier: string;
  name: string | null;
}

export interface ObservationSource {
  sendingFacility: string;
  messageId: string;
  placerOrder: string | null;
  fillerOrder: string | null;
  orderingProvider: OrderingProvider | null;
}

export interface RecordLabResultsInput {
  patientId?: string | null;
  patientMrn?: string | null;
  source: {
    sendingFacility: string;
    messageId: string;
    placerOrder?: string | null;
    fillerOrder?: string | null;
  };
  results: BatchResultInput[];
}

/** The current version of an observation: indexed facts plus its FHIR document (the source of the rest). */
export interface Observation {
  id: string;
  patientId: string;
  status: ObservationStatus;
  code: Coding;
  effective: Date | null;
  issued: Date;
  abnormal: boolean;
  critical: boolean;
  source: ObservationSource;
  version: number;
  fhir: FhirObservation;
  recordedAt: Date;
  updatedAt: Date;
}

/** An earlier version (Observation.history). */
export interface ObservationRevision {
  observationId: string;
  version: number;
  status: ObservationStatus;
  recordedAt: Date;
  fhir: FhirObservation;
}

export interface ObservationFilter {
  code?: string | null;
  system?: string | null;
  from?: Date | null;
  to?: Date | null;
  status?: ObservationStatus[] | null;
  abnormalOnly?: boolean | null;
  criticalOnly?: boolean | null;
}

/** Newest first by (sortAt = effective, else issued; id). */
export interface ObservationCursor {
  sortAt: Date;
  id: string;
}

export interface PageArgs {
  first: number;
  after: ObservationCursor | undefined;
}

export interface ObservationPage {
  observations: Observation[];
  hasNextPage: boolean;
}

export const emptyPage: ObservationPage = { observations: [], hasNextPage: false };

/** Whose observations a caller may list: every list and count is narrowed to this in SQL. */
export type Visibility = 'none' | { patientId: string } | { doctorId: string };

export interface KnownPatient {
  id: string;
  mrn: string;
  active: boolean;
}

export const sortAtOf = (observation: Pick<Observation, 'effective' | 'issued'>): Date =>
  observation.effective ?? observation.issued;
