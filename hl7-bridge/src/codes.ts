import type { ObservationStatus } from './lab-results.ts';

/**
 * HL7 table 0396 coding system names → FHIR system URIs, as the HL7 v2-to-FHIR IG maps them. A local
 * system (L, 99zzz) or any name not listed becomes `urn:hsg:hl7v2:<MSH-4>:<name>`: codes of a local
 * system mean something only at the lab that sent them, so the sending facility is part of the system.
 */
const knownSystems: Record<string, string> = {
  LN: 'http://loinc.org',
  LOINC: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  SNM3: 'http://snomed.info/sct',
  SNOMED: 'http://snomed.info/sct',
  UCUM: 'http://unitsofmeasure.org',
  I9: 'http://hl7.org/fhir/sid/icd-9-cm',
  I9C: 'http://hl7.org/fhir/sid/icd-9-cm',
  I10: 'http://hl7.org/fhir/sid/icd-10',
  I10C: 'http://hl7.org/fhir/sid/icd-10-cm',
  RXNORM: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  NDC: 'http://hl7.org/fhir/sid/ndc',
  CVX: 'http://hl7.org/fhir/sid/cvx',
};

export const ucumSystem = 'http://unitsofmeasure.org';

/** The FHIR system for a CWE's coding system name (undefined when none was sent). */
export function systemOf(name: string, sendingFacility: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '') return undefined;
  const upper = trimmed.toUpperCase();
  const known = knownSystems[upper];
  if (known) return known;
  // HL7-defined tables: HL70078 → the v2 table's code system.
  const table = /^HL7(\d{4})$/.exec(upper);
  if (table) return `http://terminology.hl7.org/CodeSystem/v2-${table[1]}`;
  return `${localPrefix}${encodeURIComponent(sendingFacility)}:${encodeURIComponent(trimmed)}`;
}

const localPrefix = 'urn:hsg:hl7v2:';

/** Whether a system is one of a sending lab's own (see systemOf). */
export const isLocalSystem = (system: string): boolean => system.startsWith(localPrefix);

/** Whether an OBX-6 unit's coding system says UCUM. */
export const isUcum = (name: string): boolean => name.trim().toUpperCase() === 'UCUM';

/**
 * HL7 table 0085 (observation result status) → the graph's ObservationStatus, following the IG's
 * ObservationResultStatus map. N ("not asked") and X ("cannot be obtained") both mean no result will
 * come: CANCELLED. D (delete) and W (posted as wrong) retract: ENTERED_IN_ERROR. A and B (amended,
 * appended) change a final result without correcting a value: AMENDED.
 */
export const resultStatuses: Record<string, ObservationStatus> = {
  A: 'AMENDED',
  B: 'AMENDED',
  C: 'CORRECTED',
  D: 'ENTERED_IN_ERROR',
  F: 'FINAL',
  I: 'REGISTERED',
  N: 'CANCELLED',
  O: 'REGISTERED', // order received; specimen not yet received
  P: 'PRELIMINARY',
  R: 'PRELIMINARY', // results entered, not verified
  S: 'PRELIMINARY', // partial results
  U: 'FINAL', // status changed to final without retransmitting the results
  W: 'ENTERED_IN_ERROR',
  X: 'CANCELLED',
};

/** OBX-2 value types the bridge maps, each to one value field of the graph. */
export type ValueKind = 'quantity' | 'structured' | 'text' | 'coded' | 'datetime' | 'time' | 'code';

export const valueTypes: Record<string, ValueKind> = {
  NM: 'quantity',
  SN: 'structured',
  ST: 'text',
  TX: 'text',
  FT: 'text',
  CWE: 'coded',
  CE: 'coded',
  CNE: 'coded',
  CF: 'coded',
  DT: 'datetime',
  DTM: 'datetime',
  TS: 'datetime',
  TM: 'time',
  ID: 'code',
  IS: 'code',
};
