import { defineEvent } from '@hsg/kit/events';
import { z } from 'zod';

export const patientTopic = 'patient.events';

export const administrativeGender = z.enum(['MALE', 'FEMALE', 'OTHER', 'UNKNOWN']);

/** The patient as it stands after the change: consumers keep projections from it without calling back. */
export const patientSnapshot = z.object({
  id: z.uuid(),
  mrn: z.string(),
  name: z.object({ given: z.array(z.string()), family: z.string() }),
  birthDate: z.iso.date(),
  gender: administrativeGender,
  email: z.string().nullable(),
  phone: z.string().nullable(),
  address: z
    .object({
      line: z.array(z.string()),
      city: z.string().nullable(),
      postalCode: z.string().nullable(),
      country: z.string().nullable(),
    })
    .nullable(),
  active: z.boolean(),
  version: z.number().int().positive(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type PatientSnapshot = z.infer<typeof patientSnapshot>;

export const patientRegistered = defineEvent({
  type: 'patient.registered',
  topic: patientTopic,
  data: z.object({ patient: patientSnapshot }),
});

export const patientUpdated = defineEvent({
  type: 'patient.updated',
  topic: patientTopic,
  data: z.object({ patient: patientSnapshot, changed: z.array(z.string()) }),
});

export const patientDeactivated = defineEvent({
  type: 'patient.deactivated',
  topic: patientTopic,
  data: z.object({ patient: patientSnapshot, reason: z.string().nullable() }),
});
