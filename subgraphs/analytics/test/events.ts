import { randomUUID } from 'node:crypto';
import {
  type AppointmentStatus,
  appointmentBooked,
  appointmentCancelled,
  appointmentCompleted,
  appointmentNoShow,
  invoiceIssued,
  invoiceVoided,
  observationCorrected,
  observationRecorded,
  patientRegistered,
  paymentReceived,
} from '@hsg/contracts';
import { type CloudEvent, createEvent, type EventDefinition, type EventTransport } from '@hsg/kit/events';

/** Domain events as their producers publish them, at a given instant: what the model is fed in tests. */
const event = <Data>(
  definition: EventDefinition<string, Data>,
  at: string,
  data: Data,
  subject = randomUUID(),
) => createEvent(definition, { source: 'test', subject, data, time: new Date(at) }) as CloudEvent;

export const patient = (at: string) =>
  event(patientRegistered, at, {
    patient: {
      id: randomUUID(),
      mrn: 'MRN-1',
      name: { given: ['Ada'], family: 'Lovelace' },
      birthDate: '1990-01-01',
      gender: 'FEMALE',
      email: null,
      phone: null,
      address: null,
      active: true,
      version: 1,
      createdAt: at,
      updatedAt: at,
    },
  });

const appointmentOf = (doctorId: string, at: string, status: AppointmentStatus) => ({
  id: randomUUID(),
  patientId: randomUUID(),
  doctorId,
  start: at,
  end: at,
  status,
  reason: null,
  cancellationReason: null,
  version: 1,
  createdAt: at,
  updatedAt: at,
});

export const booked = (doctorId: string, at: string) =>
  event(appointmentBooked, at, { appointment: appointmentOf(doctorId, at, 'BOOKED') });
export const completed = (doctorId: string, at: string) =>
  event(appointmentCompleted, at, { appointment: appointmentOf(doctorId, at, 'COMPLETED') });
export const noShow = (doctorId: string, at: string) =>
  event(appointmentNoShow, at, { appointment: appointmentOf(doctorId, at, 'NO_SHOW') });
export const cancelled = (doctorId: string, at: string) =>
  event(appointmentCancelled, at, {
    appointment: appointmentOf(doctorId, at, 'CANCELLED'),
    cancelledBy: 'USER',
  });

const invoiceOf = (amount: number, currency: string, at: string) => ({
  id: randomUUID(),
  number: 'INV-1',
  accountId: randomUUID(),
  patientId: randomUUID(),
  appointmentId: null,
  lines: [],
  total: { amount, currency },
  paid: { amount: 0, currency },
  status: 'ISSUED' as const,
  issuedAt: at,
  dueDate: '2026-12-31',
  voidReason: null,
  version: 1,
});

export const issued = (amount: number, currency: string, at: string) =>
  event(invoiceIssued, at, { invoice: invoiceOf(amount, currency, at) });
export const voided = (amount: number, currency: string, at: string) =>
  event(invoiceVoided, at, { invoice: { ...invoiceOf(amount, currency, at), status: 'VOID' } });
export const paid = (amount: number, currency: string, at: string) => {
  const invoice = invoiceOf(amount, currency, at);
  return event(paymentReceived, at, {
    invoice,
    payment: {
      id: randomUUID(),
      invoiceId: invoice.id,
      amount: { amount, currency },
      method: 'CARD',
      receivedAt: at,
    },
  });
};

const observationOf = (code: string, at: string, flags: { abnormal?: boolean; critical?: boolean }) => ({
  id: randomUUID(),
  patientId: randomUUID(),
  status: 'FINAL' as const,
  code: { system: 'http://loinc.org', code, display: null },
  effective: at,
  issued: at,
  abnormal: flags.abnormal ?? false,
  critical: flags.critical ?? false,
  source: { sendingFacility: 'LAB', messageId: randomUUID(), placerOrder: null, fillerOrder: null },
  version: 1,
  fhir: { resourceType: 'Observation' },
});

export const result = (code: string, at: string, flags: { abnormal?: boolean; critical?: boolean } = {}) =>
  event(observationRecorded, at, { observation: observationOf(code, at, flags) });
export const correction = (code: string, at: string) =>
  event(observationCorrected, at, {
    observation: { ...observationOf(code, at, {}), status: 'CORRECTED', version: 2 },
    previous: { version: 1, status: 'FINAL' },
    reason: null,
  });

/** Publishes events as a producer's relay would (keyed by subject, on the definition's topic). */
export async function publish(transport: EventTransport, events: CloudEvent[]): Promise<void> {
  await transport.send(
    events.map((value) => ({
      topic: topicOf(value.type),
      key: value.subject,
      value: JSON.stringify(value),
      headers: {},
    })),
  );
}

const topicOf = (type: string) =>
  ({
    patient: 'patient.events',
    doctor: 'doctor.events',
    appointment: 'appointment.events',
    invoice: 'billing.events',
    payment: 'billing.events',
    observation: 'observation.events',
  })[type.split('.')[0] as string] as string;

/** A small clinic's day (UTC, 2026-05-04): what the metric tests expect back. */
export function clinicDay(doctors: { a: string; b: string }) {
  const at = (time: string) => `2026-05-04T${time}Z`;
  return [
    patient(at('08:00:00')),
    patient(at('08:30:00')),
    booked(doctors.a, at('09:00:00')),
    booked(doctors.a, at('09:10:00')),
    booked(doctors.b, at('09:20:00')),
    completed(doctors.a, at('10:00:00')),
    noShow(doctors.a, at('10:30:00')),
    completed(doctors.b, at('11:00:00')),
    cancelled(doctors.b, at('11:30:00')),
    issued(5000, 'EUR', at('12:00:00')),
    issued(2000, 'EUR', at('12:05:00')),
    voided(2000, 'EUR', at('12:10:00')),
    issued(1500, 'USD', at('12:15:00')),
    paid(3000, 'EUR', at('13:00:00')),
    result('2345-7', at('14:00:00'), { abnormal: true, critical: true }),
    result('2345-7', at('14:01:00')),
    result('718-7', at('14:02:00'), { abnormal: true }),
    result('718-7', at('14:03:00')),
    correction('718-7', at('15:00:00')),
  ];
}
