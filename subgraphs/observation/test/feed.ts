import { appointmentBooked, type PatientSnapshot, patientRegistered, patientUpdated } from '@hsg/contracts';
import { type CloudEvent, createEvent, type EventDefinition, type EventTransport } from '@hsg/kit/events';
import { v7 as uuidv7 } from 'uuid';

const source = 'urn:hsg:test:feed';

/** Plays the patient and appointment subgraphs: publishes their events straight onto the transport. */
export function createFeed(transport: EventTransport, clock: () => Date) {
  async function publish<Data>(definition: EventDefinition<string, Data>, subject: string, data: Data) {
    const event = createEvent(definition, { source, subject, data }) as CloudEvent;
    await transport.send([
      { topic: definition.topic, key: subject, value: JSON.stringify(event), headers: {} },
    ]);
    return event;
  }
  const now = () => clock().toISOString();
  const patientSnapshot = (id: string, overrides: Partial<PatientSnapshot>): PatientSnapshot => ({
    id,
    mrn: `MRN-${id.slice(-12)}`,
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

  return {
    newId: () => uuidv7({ msecs: clock().getTime() }),
    registerPatient: (id: string, overrides: Partial<PatientSnapshot> = {}) =>
      publish(patientRegistered, id, { patient: patientSnapshot(id, overrides) }),
    updatePatient: (id: string, overrides: Partial<PatientSnapshot>) =>
      publish(patientUpdated, id, { patient: patientSnapshot(id, overrides), changed: [] }),
    book: (id: string, parties: { patientId: string; doctorId: string }) =>
      publish(appointmentBooked, id, {
        appointment: {
          id,
          ...parties,
          start: now(),
          end: new Date(clock().getTime() + 30 * 60_000).toISOString(),
          status: 'BOOKED',
          reason: null,
          cancellationReason: null,
          version: 1,
          createdAt: now(),
          updatedAt: now(),
        },
      }),
  };
}

export type Feed = ReturnType<typeof createFeed>;
