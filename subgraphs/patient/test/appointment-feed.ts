import { type AppointmentSnapshot, appointmentBooked, appointmentCancelled } from '@hsg/contracts';
import { type EventTransport, eventsFrom, type OutgoingEvent } from '@hsg/kit/events';
import { v7 as uuidv7 } from 'uuid';

/**
 * Plays the appointment subgraph: its events, built from the shared contracts, straight onto the
 * transport, as its outbox relay would publish them.
 */
export function createAppointmentFeed(transport: EventTransport) {
  const event = eventsFrom('urn:hsg:test:appointment');
  return {
    /** A new booking between them: its snapshot and its `appointment.booked` event. */
    booked(patientId: string, doctorId: string) {
      const now = new Date().toISOString();
      const snapshot: AppointmentSnapshot = {
        id: uuidv7(),
        patientId,
        doctorId,
        start: '2026-03-02T09:00:00.000Z',
        end: '2026-03-02T09:30:00.000Z',
        status: 'BOOKED',
        reason: null,
        cancellationReason: null,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      return { snapshot, event: event(appointmentBooked, snapshot.id, { appointment: snapshot }) };
    },
    cancelled: (snapshot: AppointmentSnapshot) =>
      event(appointmentCancelled, snapshot.id, {
        appointment: { ...snapshot, status: 'CANCELLED', version: snapshot.version + 1 },
        cancelledBy: 'USER',
      }),
    /** Resolves once the transport stored them, in this order. */
    publish: (...events: OutgoingEvent[]) =>
      transport.send(
        events.map(({ definition, event }) => ({
          topic: definition.topic,
          key: event.subject,
          value: JSON.stringify(event),
          headers: {},
        })),
      ),
  };
}
