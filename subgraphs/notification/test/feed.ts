import {
  type AppointmentSnapshot,
  appointmentBooked,
  appointmentCancelled,
  appointmentCompleted,
  appointmentRescheduled,
  type DoctorSnapshot,
  doctorRegistered,
  type ObservationSnapshot,
  observationCorrected,
  observationRecorded,
  type PatientSnapshot,
  patientRegistered,
  patientUpdated,
} from '@hsg/contracts';
import { type CloudEvent, createEvent, type EventDefinition, type EventTransport } from '@hsg/kit/events';
import { v7 as uuidv7 } from 'uuid';

const source = 'urn:hsg:test:feed';
const HOUR = 60 * 60_000;

export interface Parties {
  patientId: string;
  doctorId: string;
}

/** Builds an event as its producer would (valid against the shared contract), without sending it. */
export const eventOf = <Data>(definition: EventDefinition<string, Data>, subject: string, data: Data) =>
  createEvent(definition, { source, subject, data }) as CloudEvent<Data>;

/**
 * Plays the patient, doctor, appointment and observation subgraphs: publishes their events (built from
 * the shared contracts) straight onto the transport, as their outbox relays would. `resend` publishes an
 * event again with the same id, as a retried send or a lost offset commit would deliver it.
 */
export function createFeed(transport: EventTransport) {
  const topicOf = new Map<string, string>();
  async function send(event: CloudEvent): Promise<CloudEvent> {
    const topic = topicOf.get(event.type);
    if (!topic) throw new Error(`unknown event type ${event.type}`);
    await transport.send([{ topic, key: event.subject, value: JSON.stringify(event), headers: {} }]);
    return event;
  }
  async function publish<Data>(definition: EventDefinition<string, Data>, subject: string, data: Data) {
    topicOf.set(definition.type, definition.topic);
    return (await send(eventOf(definition, subject, data) as CloudEvent)) as CloudEvent<Data>;
  }

  const now = () => new Date().toISOString();
  const patientSnapshot = (id: string, overrides: Partial<PatientSnapshot>): PatientSnapshot => ({
    id,
    mrn: `MRN-${id.slice(-12)}`,
    name: { given: ['Ada'], family: 'Example' },
    birthDate: '1980-01-01',
    gender: 'UNKNOWN',
    email: `ada.${id.slice(-12)}@patients.test`,
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
    licenseNumber: `LIC-${id.slice(-12)}`,
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
  /** By default a 30-minute appointment a day from now. */
  const appointmentSnapshot = (
    id: string,
    parties: Parties,
    overrides: Partial<AppointmentSnapshot> = {},
  ): AppointmentSnapshot => {
    const start = overrides.start ?? new Date(Date.now() + 24 * HOUR).toISOString();
    return {
      id,
      ...parties,
      start,
      end: new Date(new Date(start).getTime() + 30 * 60_000).toISOString(),
      status: 'BOOKED',
      reason: 'check-up',
      cancellationReason: null,
      version: 1,
      createdAt: now(),
      updatedAt: now(),
      ...overrides,
    };
  };
  const observationSnapshot = (
    id: string,
    patientId: string,
    overrides: Partial<ObservationSnapshot> = {},
  ): ObservationSnapshot => ({
    id,
    patientId,
    status: 'FINAL',
    code: { system: 'http://loinc.org', code: '2823-3', display: 'Potassium' },
    effective: now(),
    issued: now(),
    abnormal: true,
    critical: true,
    source: {
      sendingFacility: 'TEST-LAB',
      messageId: `MSG-${id}`,
      placerOrder: 'ORD-1',
      fillerOrder: null,
      orderingProvider: null,
    },
    version: 1,
    fhir: { resourceType: 'Observation', id },
    ...overrides,
  });

  return {
    newId: () => uuidv7(),
    resend: send,
    appointmentSnapshot,
    observationSnapshot,
    registerPatient: (id: string, overrides: Partial<PatientSnapshot> = {}) =>
      publish(patientRegistered, id, { patient: patientSnapshot(id, overrides) }),
    updatePatient: (id: string, overrides: Partial<PatientSnapshot>) =>
      publish(patientUpdated, id, { patient: patientSnapshot(id, overrides), changed: [] }),
    registerDoctor: (id: string, overrides: Partial<DoctorSnapshot> = {}) =>
      publish(doctorRegistered, id, { doctor: doctorSnapshot(id, overrides) }),
    book: (id: string, parties: Parties, overrides: Partial<AppointmentSnapshot> = {}) =>
      publish(appointmentBooked, id, { appointment: appointmentSnapshot(id, parties, overrides) }),
    reschedule: (id: string, parties: Parties, previousStart: string, start: string) =>
      publish(appointmentRescheduled, id, {
        appointment: appointmentSnapshot(id, parties, { start, version: 2 }),
        previous: {
          start: previousStart,
          end: new Date(new Date(previousStart).getTime() + 30 * 60_000).toISOString(),
        },
      }),
    cancel: (
      id: string,
      parties: Parties,
      start: string,
      cancelledBy: 'USER' | 'PATIENT_DEACTIVATED' | 'DOCTOR_DEACTIVATED' = 'USER',
    ) =>
      publish(appointmentCancelled, id, {
        appointment: appointmentSnapshot(id, parties, { start, status: 'CANCELLED', version: 3 }),
        cancelledBy,
      }),
    complete: (id: string, parties: Parties, start: string) =>
      publish(appointmentCompleted, id, {
        appointment: appointmentSnapshot(id, parties, { start, status: 'COMPLETED', version: 2 }),
      }),
    record: (id: string, patientId: string, overrides: Partial<ObservationSnapshot> = {}) =>
      publish(observationRecorded, id, { observation: observationSnapshot(id, patientId, overrides) }),
    correct: (
      id: string,
      patientId: string,
      previous: { version: number; status: ObservationSnapshot['status'] },
      overrides: Partial<ObservationSnapshot>,
    ) =>
      publish(observationCorrected, id, {
        observation: observationSnapshot(id, patientId, { status: 'CORRECTED', ...overrides }),
        previous,
        reason: 'corrected by the lab',
      }),
  };
}

export type Feed = ReturnType<typeof createFeed>;
