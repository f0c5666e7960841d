import {
  type DoctorSnapshot,
  doctorDeactivated,
  doctorRegistered,
  doctorUpdated,
  type PatientSnapshot,
  patientDeactivated,
  patientRegistered,
  patientUpdated,
  type WorkingHours,
} from '@hsg/contracts';
import { createEvent, type EventDefinition, type EventTransport } from '@hsg/kit/events';
import { v7 as uuidv7 } from 'uuid';

const source = 'urn:hsg:test:feed';
const weekdays = ['MON', 'TUE', 'WED', 'THU', 'FRI'] as const;

/** Mon-Fri 08:00-12:00 and 13:00-17:00. */
export const officeHours: WorkingHours[] = weekdays.flatMap((weekday) => [
  { weekday, start: '08:00', end: '12:00' },
  { weekday, start: '13:00', end: '17:00' },
]);

/**
 * Plays the patient and doctor subgraphs: publishes their events (built from the shared contracts)
 * straight onto the transport, as their outbox relays would.
 */
export function createFeed(transport: EventTransport, clock: () => Date) {
  /** Resolves to the event's id once the transport stored it. */
  async function publish<Data>(definition: EventDefinition<string, Data>, subject: string, data: Data) {
    const event = createEvent(definition, { source, subject, data });
    await transport.send([
      { topic: definition.topic, key: subject, value: JSON.stringify(event), headers: {} },
    ]);
    return event.id;
  }

  const patientSnapshot = (id: string, overrides: Partial<PatientSnapshot>): PatientSnapshot => ({
    id,
    mrn: `MRN-${id.slice(-8)}`,
    name: { given: ['Test'], family: 'Patient' },
    birthDate: '1980-01-01',
    gender: 'UNKNOWN',
    email: null,
    phone: null,
    address: null,
    active: true,
    version: 1,
    createdAt: clock().toISOString(),
    updatedAt: clock().toISOString(),
    ...overrides,
  });

  const doctorSnapshot = (id: string, overrides: Partial<DoctorSnapshot>): DoctorSnapshot => ({
    id,
    licenseNumber: `LIC-${id.slice(-8)}`,
    name: { given: ['Test'], family: 'Doctor' },
    specialties: ['General practice'],
    timeZone: 'Europe/Berlin',
    workingHours: officeHours,
    consultationFee: { amount: 6000, currency: 'EUR' },
    active: true,
    version: 1,
    createdAt: clock().toISOString(),
    updatedAt: clock().toISOString(),
    ...overrides,
  });

  return {
    /** A new id minted now (by the fake clock), as the owning subgraph would. */
    newId: () => uuidv7({ msecs: clock().getTime() }),
    registerPatient(id: string, overrides: Partial<PatientSnapshot> = {}) {
      return publish(patientRegistered, id, { patient: patientSnapshot(id, overrides) });
    },
    updatePatient(id: string, overrides: Partial<PatientSnapshot>) {
      return publish(patientUpdated, id, { patient: patientSnapshot(id, overrides), changed: [] });
    },
    deactivatePatient(id: string, version: number) {
      return publish(patientDeactivated, id, {
        patient: patientSnapshot(id, { active: false, version }),
        reason: null,
      });
    },
    registerDoctor(id: string, overrides: Partial<DoctorSnapshot> = {}) {
      return publish(doctorRegistered, id, { doctor: doctorSnapshot(id, overrides) });
    },
    updateDoctor(id: string, overrides: Partial<DoctorSnapshot>) {
      return publish(doctorUpdated, id, { doctor: doctorSnapshot(id, overrides), changed: [] });
    },
    deactivateDoctor(id: string, version: number) {
      return publish(doctorDeactivated, id, {
        doctor: doctorSnapshot(id, { active: false, version }),
        reason: null,
      });
    },
  };
}

export type Feed = ReturnType<typeof createFeed>;
