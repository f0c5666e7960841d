import {
  appointmentBooked,
  appointmentCancelled,
  appointmentCompleted,
  appointmentNoShow,
  appointmentRescheduled,
  appointmentTopic,
  observationCorrected,
  observationRecorded,
  observationTopic,
} from '@hsg/contracts';
import type { CloudEvent } from '@hsg/kit/events';

/** What an event says about the entity it changed: enough to pick subscribers before asking the graph. */
export interface EventFacts {
  /** The entity the subscriber's selection is read from (an appointment's or an observation's id). */
  entityId: string;
  patientId: string;
  doctorId?: string;
  critical?: boolean;
  /** Fields the event itself answers (AppointmentChange.kind, …), by field name. */
  answers: Record<string, unknown>;
}

/**
 * One subscription field the router serves: the events it follows, which subscribers an event concerns
 * (by the field's arguments), and where its selection is read. A selection on the entity's own type
 * (Observation) is read whole by `entityQuery(id:)`; one on a wrapper (AppointmentChange) is read field by
 * field: `entityField` through `entityQuery`, the rest from the event.
 */
export interface LiveField {
  name: string;
  topic: string;
  /** Event type → how it reads. */
  events: Record<string, (event: CloudEvent) => EventFacts>;
  matches(args: Record<string, unknown>, facts: EventFacts): boolean;
  entityQuery: string;
  wrapper?: { typeName: string; entityField: string };
}

const same = (expected: unknown, actual: string | undefined) =>
  expected === undefined || expected === null || String(expected).toLowerCase() === actual?.toLowerCase();

type AppointmentEvent = CloudEvent<{ appointment: { id: string; patientId: string; doctorId: string } }>;

function appointmentFacts(kind: string) {
  return (event: CloudEvent): EventFacts => {
    const { appointment, previous } = (event as AppointmentEvent).data as AppointmentEvent['data'] & {
      previous?: { start?: string };
    };
    return {
      entityId: appointment.id,
      patientId: appointment.patientId,
      doctorId: appointment.doctorId,
      answers: {
        kind,
        occurredAt: event.time,
        previousStart: kind === 'RESCHEDULED' ? (previous?.start ?? null) : null,
        __typename: 'AppointmentChange',
      },
    };
  };
}

type ObservationEvent = CloudEvent<{ observation: { id: string; patientId: string; critical: boolean } }>;

const observationFacts = (event: CloudEvent): EventFacts => {
  const { observation } = (event as ObservationEvent).data;
  return {
    entityId: observation.id,
    patientId: observation.patientId,
    critical: observation.critical,
    answers: {},
  };
};

export const liveFields: readonly LiveField[] = [
  {
    name: 'appointmentChanged',
    topic: appointmentTopic,
    events: {
      [appointmentBooked.type]: appointmentFacts('BOOKED'),
      [appointmentRescheduled.type]: appointmentFacts('RESCHEDULED'),
      [appointmentCancelled.type]: appointmentFacts('CANCELLED'),
      [appointmentCompleted.type]: appointmentFacts('COMPLETED'),
      [appointmentNoShow.type]: appointmentFacts('NO_SHOW'),
    },
    matches: (args, facts) => same(args.patientId, facts.patientId) && same(args.doctorId, facts.doctorId),
    entityQuery: 'appointment',
    wrapper: { typeName: 'AppointmentChange', entityField: 'appointment' },
  },
  {
    name: 'labResultReceived',
    topic: observationTopic,
    events: {
      [observationRecorded.type]: observationFacts,
      [observationCorrected.type]: observationFacts,
    },
    matches: (args, facts) =>
      same(args.patientId, facts.patientId) && (args.criticalOnly !== true || facts.critical === true),
    entityQuery: 'observation',
  },
];
