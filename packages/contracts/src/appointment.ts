import { defineEvent } from '@hsg/kit/events';
import { z } from 'zod';

export const appointmentTopic = 'appointment.events';

export const appointmentStatus = z.enum(['BOOKED', 'CANCELLED', 'COMPLETED', 'NO_SHOW']);
export type AppointmentStatus = z.infer<typeof appointmentStatus>;

/** The appointment as it stands after the change (times are UTC instants). */
export const appointmentSnapshot = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  doctorId: z.uuid(),
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
  status: appointmentStatus,
  reason: z.string().nullable(),
  cancellationReason: z.string().nullable(),
  version: z.number().int().positive(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type AppointmentSnapshot = z.infer<typeof appointmentSnapshot>;

export const appointmentBooked = defineEvent({
  type: 'appointment.booked',
  topic: appointmentTopic,
  data: z.object({ appointment: appointmentSnapshot }),
});

export const appointmentRescheduled = defineEvent({
  type: 'appointment.rescheduled',
  topic: appointmentTopic,
  data: z.object({
    appointment: appointmentSnapshot,
    previous: z.object({ start: z.iso.datetime({ offset: true }), end: z.iso.datetime({ offset: true }) }),
  }),
});

/** `cancelledBy` says whether a person cancelled it or the system did (patient/doctor deactivated). */
export const appointmentCancelled = defineEvent({
  type: 'appointment.cancelled',
  topic: appointmentTopic,
  data: z.object({
    appointment: appointmentSnapshot,
    cancelledBy: z.enum(['USER', 'PATIENT_DEACTIVATED', 'DOCTOR_DEACTIVATED']),
  }),
});

export const appointmentCompleted = defineEvent({
  type: 'appointment.completed',
  topic: appointmentTopic,
  data: z.object({ appointment: appointmentSnapshot }),
});

export const appointmentNoShow = defineEvent({
  type: 'appointment.no_show',
  topic: appointmentTopic,
  data: z.object({ appointment: appointmentSnapshot }),
});
