/**
 * The graph's `recordLabResults` input (subgraphs/observation/src/schema.graphql), as the bridge builds it.
 * Optional parts are left out rather than set to null, so a mapped message reads like its GraphQL variables.
 */

export type ObservationStatus =
  | 'REGISTERED'
  | 'PRELIMINARY'
  | 'FINAL'
  | 'AMENDED'
  | 'CORRECTED'
  | 'CANCELLED'
  | 'ENTERED_IN_ERROR'
  | 'UNKNOWN';

export interface CodingInput {
  system?: string;
  code: string;
  display?: string;
}

export interface QuantityInput {
  value: number;
  unit?: string;
  system?: string;
  code?: string;
  /** One of <, <=, >=, >. */
  comparator?: string;
}

export interface RangeInput {
  low?: QuantityInput;
  high?: QuantityInput;
}

export interface RatioInput {
  numerator?: QuantityInput;
  denominator?: QuantityInput;
}

export interface ReferenceRangeInput {
  low?: QuantityInput;
  high?: QuantityInput;
  text?: string;
}

/** OBR-16: who ordered the test. */
export interface ProviderInput {
  identifier: string;
  name?: string;
}

/** One OBX: at most one value (none for a pending or cancelled test). */
export interface LabResultInput {
  code: CodingInput;
  status: ObservationStatus;
  /** RFC 3339. */
  effective?: string;
  /** RFC 3339. */
  issued?: string;
  valueQuantity?: QuantityInput;
  valueString?: string;
  valueCoding?: CodingInput;
  valueRange?: RangeInput;
  valueRatio?: RatioInput;
  /** RFC 3339. */
  valueDateTime?: string;
  interpretation?: string[];
  referenceRange?: ReferenceRangeInput[];
  note?: string;
  /** The OBR group's placer order number (OBR-2, else ORC-2). */
  placerOrder?: string;
  /** The OBR group's filler order number (OBR-3, else ORC-3). */
  fillerOrder?: string;
  orderingProvider?: ProviderInput;
}

export interface ObservationSourceInput {
  sendingFacility: string;
  messageId: string;
  placerOrder?: string;
  fillerOrder?: string;
}

/** One call of recordLabResults: one patient, 1 to 100 results. */
export interface RecordLabResultsInput {
  patientMrn: string;
  source: ObservationSourceInput;
  results: LabResultInput[];
}

/** The graph's bounds on one call (the kit's list and string limits, the observation rules). */
export const graphLimits = {
  maxResultsPerCall: 100,
  /** valueString, note, referenceRange.text. */
  maxTextLength: 1000,
  /** Codes, keys, displays, units. */
  maxKeyLength: 200,
  maxInterpretationLength: 20,
} as const;
