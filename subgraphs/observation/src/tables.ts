import { orderingProviderOf } from './fhir.ts';
import type { FhirObservation, Observation, ObservationRevision, ObservationStatus } from './model.ts';

/** The subgraph's tables as Kysely sees them (migrations/0001_observation.sql). */
export interface ObservationRow {
  id: string;
  patient_id: string;
  code_system: string;
  code: string;
  status: ObservationStatus;
  effective_at: Date | null;
  issued_at: Date;
  sort_at: Date;
  abnormal: boolean;
  critical: boolean;
  sending_facility: string;
  message_id: string;
  placer_order: string | null;
  filler_order: string | null;
  version: number;
  resource: FhirObservation | string;
  recorded_at: Date;
  updated_at: Date;
}

export interface RevisionRow {
  observation_id: string;
  version: number;
  status: ObservationStatus;
  recorded_at: Date;
  resource: FhirObservation | string;
}

export interface Tables {
  observations: ObservationRow;
  observation_revisions: RevisionRow;
  patient_projection: { id: string; mrn: string; active: boolean; version: number };
  care_relationships: { doctor_id: string; patient_id: string };
  lab_batches: {
    sending_facility: string;
    message_id: string;
    content_hash: string;
    patient_id: string;
    recorded_at: Date;
  };
  lab_batch_results: {
    sending_facility: string;
    message_id: string;
    position: number;
    observation_id: string;
    version: number;
  };
}

const json = (value: FhirObservation | string): FhirObservation =>
  typeof value === 'string' ? (JSON.parse(value) as FhirObservation) : value;
const display = (fhir: FhirObservation) =>
  ((fhir.code as { coding?: Array<{ display?: string }> } | undefined)?.coding?.[0]?.display ?? null) as
    | string
    | null;

export const toObservation = (row: ObservationRow): Observation => {
  const fhir = json(row.resource);
  return {
    id: row.id,
    patientId: row.patient_id,
    status: row.status,
    code: { system: row.code_system === '' ? null : row.code_system, code: row.code, display: display(fhir) },
    effective: row.effective_at ? new Date(row.effective_at) : null,
    issued: new Date(row.issued_at),
    abnormal: row.abnormal,
    critical: row.critical,
    source: {
      sendingFacility: row.sending_facility,
      messageId: row.message_id,
      placerOrder: row.placer_order,
      fillerOrder: row.filler_order,
      orderingProvider: orderingProviderOf(fhir),
    },
    version: row.version,
    fhir,
    recordedAt: new Date(row.recorded_at),
    updatedAt: new Date(row.updated_at),
  };
};

export const toRevision = (row: RevisionRow): ObservationRevision => ({
  observationId: row.observation_id,
  version: row.version,
  status: row.status,
  recordedAt: new Date(row.recorded_at),
  fhir: json(row.resource),
});

export const toRow = (observation: Observation): ObservationRow => ({
  id: observation.id,
  patient_id: observation.patientId,
  code_system: observation.code.system ?? '',
  code: observation.code.code,
  status: observation.status,
  effective_at: observation.effective,
  issued_at: observation.issued,
  sort_at: observation.effective ?? observation.issued,
  abnormal: observation.abnormal,
  critical: observation.critical,
  sending_facility: observation.source.sendingFacility,
  message_id: observation.source.messageId,
  placer_order: observation.source.placerOrder,
  filler_order: observation.source.fillerOrder,
  version: observation.version,
  resource: JSON.stringify(observation.fhir),
  recorded_at: observation.recordedAt,
  updated_at: observation.updatedAt,
});
