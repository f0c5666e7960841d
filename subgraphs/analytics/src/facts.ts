import {
  appointmentBooked,
  appointmentCancelled,
  appointmentCompleted,
  appointmentNoShow,
  doctorRegistered,
  invoiceIssued,
  invoiceVoided,
  observationCorrected,
  observationRecorded,
  patientRegistered,
  paymentReceived,
} from '@hsg/contracts';
import type { CloudEvent, EventDefinition } from '@hsg/kit/events';

/**
 * One event's contribution to the read model: counts and money only. No names, no patient ids: a fact
 * is keyed by its event's id (what makes counting it idempotent) and carries the doctor, the money or the
 * test code it is counted by, and the instant it happened (counted into its quarter hour: src/buckets.ts).
 */
export interface Fact {
  /** The event's id. */
  id: string;
  kind: FactKind;
  at: Date;
  doctorId?: string;
  currency?: string;
  /** Minor units; a voided invoice's fact carries its total, subtracted from what was invoiced. */
  amount?: number;
  code?: string;
  system?: string;
  abnormal?: boolean;
  critical?: boolean;
}

export const factKinds = [
  'patient.registered',
  'doctor.registered',
  'appointment.booked',
  'appointment.completed',
  'appointment.cancelled',
  'appointment.no_show',
  'invoice.issued',
  'invoice.voided',
  'payment.received',
  'observation.recorded',
  'observation.corrected',
] as const;
export type FactKind = (typeof factKinds)[number];

type Extract<Data> = (data: Data) => Omit<Fact, 'id' | 'kind' | 'at'>;

/** An event type the model counts, and what of it it keeps. */
export interface Counted<Data = unknown> {
  definition: EventDefinition<FactKind, Data>;
  extract: Extract<Data>;
}

const counted = <Data>(definition: EventDefinition<string, Data>, extract: Extract<Data>): Counted =>
  ({ definition, extract }) as unknown as Counted;

const appointment = ({ appointment }: { appointment: { doctorId: string } }) => ({
  doctorId: appointment.doctorId,
});

/** Every event the model counts (the rest of the domain topics' events are ignored). */
export const countedEvents: Counted[] = [
  counted(patientRegistered, () => ({})),
  counted(doctorRegistered, ({ doctor }) => ({ doctorId: doctor.id })),
  counted(appointmentBooked, appointment),
  counted(appointmentCompleted, appointment),
  counted(appointmentCancelled, appointment),
  counted(appointmentNoShow, appointment),
  counted(invoiceIssued, ({ invoice }) => ({
    currency: invoice.total.currency,
    amount: invoice.total.amount,
  })),
  counted(invoiceVoided, ({ invoice }) => ({
    currency: invoice.total.currency,
    amount: invoice.total.amount,
  })),
  counted(paymentReceived, ({ payment }) => ({
    currency: payment.amount.currency,
    amount: payment.amount.amount,
  })),
  counted(observationRecorded, ({ observation }) => result(observation)),
  counted(observationCorrected, ({ observation }) => result(observation)),
];

function result(observation: {
  code: { system: string | null; code: string };
  abnormal: boolean;
  critical: boolean;
}) {
  return {
    code: observation.code.code,
    ...(observation.code.system === null ? {} : { system: observation.code.system }),
    abnormal: observation.abnormal,
    critical: observation.critical,
  };
}

/** The fact an event contributes: when it happened (the envelope's time), and what it is counted by. */
export function factOf(event: CloudEvent, { definition, extract }: Counted): Fact {
  return { id: event.id, kind: definition.type, at: new Date(event.time), ...extract(event.data) };
}

/** The domain topics the model is fed by. */
export const countedTopics = [...new Set(countedEvents.map(({ definition }) => definition.topic))];

const byType = new Map(countedEvents.map((counted) => [counted.definition.type as string, counted]));

/** The fact of an event as the consumer would count it (undefined: a type the model ignores). */
export function factOfEvent(event: CloudEvent): Fact | undefined {
  const counted = byType.get(event.type);
  return counted && factOf({ ...event, data: counted.definition.data.parse(event.data) }, counted);
}
