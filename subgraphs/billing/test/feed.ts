import {
  type AppointmentSnapshot,
  appointmentCancelled,
  appointmentCompleted,
  appointmentNoShow,
  type DoctorSnapshot,
  doctorRegistered,
  doctorUpdated,
  type PatientSnapshot,
  patientRegistered,
  patientUpdated,
} from '@hsg/contracts';
import { type CloudEvent, createEvent, type EventDefinition, type EventTransport } from '@hsg/kit/events';
import { v7 as uuidv7 } from 'uuid';

const source = 'urn:hsg:test:feed';

/**
 * Plays the patient, doctor and appointment subgraphs: publishes their events (built from the shared
 * contracts) straight onto the transport, as their outbox relays would. `resend` publishes an event again
 * with the same id, as a retried send or a lost offset commit would deliver it.
 */
export function createFeed(transport: EventTransport, clock: () => Date) {
  async function send(definition: EventDefinition, event: CloudEvent) {
    await transport.send([
      { topic: definition.topic, key: event.subject ?? '', value: JSON.stringify(event), headers: {} },
    ]);
    return event;
  }
  const publish = <Data>(definition: EventDefinition<string, Data>, subject: string, data: Data) =>
    send(definition as EventDefinition, createEvent(definition, { source, subject, data }) as CloudEvent);

  const now = () => clock().toISOString();
  const patientSnapshot = (id: string, overrides: Partial<PatientSnapshot>): PatientSnapshot => ({
    id,
    mrn: `MRN-${id.slice(-8)}`,
    name: { given: ['Ada'], family: 'Example' },
    birthDate: '1980-01-01',
    gender: 'UNKNOWN',
    email: null,
    phone: null,
    address: null,
    active: true,
    version: 1,
    createdAt: now(),
    updatedAt: now(),
    ...overrides,
  });
  const doctorSnapshot = (id: string, overrides: Partial<DoctorSnapshot>): DoctorSnapshot => ({
    id,
    licenseNumber: `LIC-${id.slice(-8)}`,
    name: { given: ['Grace'], family: 'Hopper' },
    specialties: ['General practice'],
    timeZone: 'Europe/Berlin',
    workingHours: [],
    consultationFee: { amount: 6000, currency: 'EUR' },
    active: true,
    version: 1,
    createdAt: now(),
    updatedAt: now(),
    ...overrides,
  });
  const appointmentSnapshot = (
    id: string,
    parties: { patientId: string; doctorId: string },
    status: AppointmentSnapshot['status'],
  ): AppointmentSnapshot => ({
    id,
    ...parties,
    start: now(),
    end: new Date(clock().getTime() + 30 * 60_000).toISOString(),
    status,
    reason: null,
    cancellationReason: null,
    version: 2,
    createdAt: now(),
    updatedAt: now(),
  });

  return {
    newId: () => uuidv7({ msecs: clock().getTime() }),
    resend: (event: CloudEvent) => send({ topic: topicOf(event.type) } as EventDefinition, event),
    registerPatient: (id: string, overrides: Partial<PatientSnapshot> = {}) =>
      publish(patientRegistered, id, { patient: patientSnapshot(id, overrides) }),
    updatePatient: (id: string, overrides: Partial<PatientSnapshot>) =>
      publish(patientUpdated, id, { patient: patientSnapshot(id, overrides), changed: [] }),
    registerDoctor: (id: string, overrides: Partial<DoctorSnapshot> = {}) =>
      publish(doctorRegistered, id, { doctor: doctorSnapshot(id, overrides) }),
    updateDoctor: (id: string, overrides: Partial<DoctorSnapshot>) =>
      publish(doctorUpdated, id, { doctor: doctorSnapshot(id, overrides), changed: [] }),
    complete: (id: string, parties: { patientId: string; doctorId: string }) =>
      publish(appointmentCompleted, id, { appointment: appointmentSnapshot(id, parties, 'COMPLETED') }),
    noShow: (id: string, parties: { patientId: string; doctorId: string }) =>
      publish(appointmentNoShow, id, { appointment: appointmentSnapshot(id, parties, 'NO_SHOW') }),
    cancel: (id: string, parties: { patientId: string; doctorId: string }) =>
      publish(appointmentCancelled, id, {
        appointment: appointmentSnapshot(id, parties, 'CANCELLED'),
        cancelledBy: 'USER',
      }),
  };
}

const topicOf = (type: string) =>
  type.startsWith('patient.')
    ? 'patient.events'
    : type.startsWith('doctor.')
      ? 'doctor.events'
      : 'appointment.events';

export type Feed = ReturnType<typeof createFeed>;
