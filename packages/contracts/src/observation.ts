import { defineEvent } from '@hsg/kit/events';
import { z } from 'zod';

export const observationTopic = 'observation.events';

export const observationStatus = z.enum([
  'REGISTERED',
  'PRELIMINARY',
  'FINAL',
  'AMENDED',
  'CORRECTED',
  'CANCELLED',
  'ENTERED_IN_ERROR',
  'UNKNOWN',
]);
export type ObservationStatus = z.infer<typeof observationStatus>;

/**
 * A lab result as it stands after the change: the indexed facts a consumer counts by (analytics) and the
 * full FHIR R4 Observation document. One event per observation, keyed by its id, so an observation's
 * versions arrive in order.
 */
export const observationSnapshot = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  status: observationStatus,
  code: z.object({ system: z.string().nullable(), code: z.string(), display: z.string().nullable() }),
  effective: z.iso.datetime({ offset: true }).nullable(),
  issued: z.iso.datetime({ offset: true }),
  abnormal: z.boolean(),
  critical: z.boolean(),
  source: z.object({
    sendingFacility: z.string(),
    messageId: z.string(),
    placerOrder: z.string().nullable(),
    fillerOrder: z.string().nullable(),
    /**
     * Who ordered the test (HL7 OBR-16): the identifier is a doctor's license number when the lab knows
     * it. Optional: events written before it existed lack it.
     */
    orderingProvider: z.object({ identifier: z.string(), name: z.string().nullable() }).nullable().optional(),
  }),
  version: z.number().int().positive(),
  /** The FHIR R4 Observation resource of this version. */
  fhir: z.record(z.string(), z.unknown()),
});
export type ObservationSnapshot = z.infer<typeof observationSnapshot>;

/** A new observation (a result of a lab batch that superseded nothing). */
export const observationRecorded = defineEvent({
  type: 'observation.recorded',
  topic: observationTopic,
  data: z.object({ observation: observationSnapshot }),
});

/** A new version of an observation: a CORRECTED/AMENDED result, a correction, or entered in error. */
export const observationCorrected = defineEvent({
  type: 'observation.corrected',
  topic: observationTopic,
  data: z.object({
    observation: observationSnapshot,
    previous: z.object({ version: z.number().int().positive(), status: observationStatus }),
    reason: z.string().nullable(),
  }),
});
