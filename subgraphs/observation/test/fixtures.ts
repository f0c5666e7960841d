import type { TokenRequest } from '@hsg/testing';
import type { Harness } from './harness.ts';

export const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const mg = (value: number, comparator?: string) => ({
  value,
  unit: 'mg/dL',
  system: UCUM,
  code: 'mg/dL',
  ...(comparator ? { comparator } : {}),
});

/** One result of every value type (and none), as a lab's OBX segments would map. */
export const everyValueType = () => [
  {
    code: { system: LOINC, code: '2345-7', display: 'Glucose' },
    status: 'FINAL',
    effective: '2026-03-01T08:00:00.000Z',
    valueQuantity: mg(5, '<'),
    interpretation: ['L'],
    referenceRange: [{ low: mg(70), high: mg(99), text: '70-99 mg/dL' }],
  },
  {
    code: { system: LOINC, code: '2093-3', display: 'Cholesterol' },
    status: 'FINAL',
    effective: '2026-03-01T08:00:00.000Z',
    valueQuantity: mg(200, '>='),
    interpretation: ['HH'],
  },
  {
    code: { system: LOINC, code: '5778-6', display: 'Color of Urine' },
    status: 'FINAL',
    valueString: 'Yellow',
    interpretation: ['N'],
  },
  {
    code: { system: LOINC, code: '94500-6', display: 'SARS-CoV-2 RNA' },
    status: 'PRELIMINARY',
    valueCoding: { system: 'http://snomed.info/sct', code: '10828004', display: 'Positive' },
    interpretation: ['POS'],
  },
  { code: { system: LOINC, code: '2857-1' }, status: 'FINAL', valueRange: { low: mg(1), high: mg(4) } },
  {
    code: { system: LOINC, code: '5130-0' },
    status: 'FINAL',
    valueRatio: { numerator: { value: 1 }, denominator: { value: 128 } },
    interpretation: ['>'],
  },
  { code: { system: LOINC, code: '8665-2' }, status: 'FINAL', valueDateTime: '2026-02-14T00:00:00.000Z' },
  { code: { system: LOINC, code: '6690-2' }, status: 'CANCELLED', note: 'Sample haemolysed' },
  { code: { system: LOINC, code: '718-7' }, status: 'REGISTERED' },
];

export const RECORD = `mutation Record($input: RecordLabResultsInput!) {
  recordLabResults(input: $input) { duplicate observations { id status version } } }`;

export const OBSERVATION_FIELDS = `id status version abnormal critical effective issued note interpretation
  code { coding { system code display } text } category { coding { code } }
  valueQuantity { value unit system code comparator } valueString valueCodeableConcept { coding { code } }
  valueRange { low { value } high { value } } valueRatio { numerator { value } denominator { value } }
  valueDateTime referenceRange { low { value } high { value } text }
  source { sendingFacility messageId placerOrder fillerOrder orderingProvider { identifier name } } patient { id }
  history { version status recordedAt fhir } fhir`;

export interface Recorded {
  duplicate: boolean;
  observations: Array<{ id: string; status: string; version: number }>;
}

let messages = 0;
export const messageId = (prefix = 'MSG') => `${prefix}-${Date.now()}-${++messages}`;

/** Records a batch as INTEGRATION. */
export function record(
  h: Harness,
  input: { patientId?: string; patientMrn?: string; results: unknown[]; source?: Record<string, unknown> },
) {
  const { source, ...rest } = input;
  return h.gql(RECORD, {
    input: { ...rest, source: { sendingFacility: 'LAB-A', messageId: messageId(), ...source } },
  });
}

export const recorded = (response: { data?: Record<string, unknown> | null }) =>
  response.data?.recordLabResults as Recorded;

export const patientReader = (patientId: string): TokenRequest => ({ role: 'PATIENT', patientId });
