import { defineEvent } from '@hsg/kit/events';
import { z } from 'zod';

export const doctorTopic = 'doctor.events';

export const weekday = z.enum(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN']);
export type Weekday = z.infer<typeof weekday>;

/** "HH:MM" on a 24-hour clock; "24:00" only as the end of a range. */
export const localTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/);

export const workingHours = z.object({ weekday, start: localTime, end: localTime });
export type WorkingHours = z.infer<typeof workingHours>;

/** Minor units (cents) of an ISO 4217 currency. */
export const money = z.object({
  amount: z.number().int().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/),
});
export type Money = z.infer<typeof money>;

/** The doctor as it stands after the change: enough for consumers to validate bookings without calling back. */
export const doctorSnapshot = z.object({
  id: z.uuid(),
  licenseNumber: z.string(),
  name: z.object({ given: z.array(z.string()), family: z.string() }),
  specialties: z.array(z.string()),
  /** IANA time zone the working hours are local to, e.g. Europe/Berlin. */
  timeZone: z.string(),
  workingHours: z.array(workingHours),
  consultationFee: money,
  active: z.boolean(),
  version: z.number().int().positive(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type DoctorSnapshot = z.infer<typeof doctorSnapshot>;

export const doctorRegistered = defineEvent({
  type: 'doctor.registered',
  topic: doctorTopic,
  data: z.object({ doctor: doctorSnapshot }),
});

export const doctorUpdated = defineEvent({
  type: 'doctor.updated',
  topic: doctorTopic,
  data: z.object({ doctor: doctorSnapshot, changed: z.array(z.string()) }),
});

export const doctorDeactivated = defineEvent({
  type: 'doctor.deactivated',
  topic: doctorTopic,
  data: z.object({ doctor: doctorSnapshot, reason: z.string().nullable() }),
});
