/**
 * The texts of the notifications: as little health data as does the job. Subjects name nobody and hold
 * no result or reason; a critical result's body says only that one is waiting, for which MRN; an
 * appointment's body its time and reference, never its reason or doctor.
 */

export interface Message {
  subject: string;
  body: string;
}

/** Why a critical result went to whom it went to. */
export type CriticalRoute =
  | { to: 'ORDERING_DOCTOR'; licenseNumber: string }
  | { to: 'LAST_APPOINTMENT_DOCTOR'; licenseNumber: string | null }
  | { to: 'CLINIC' };

const routeLine = (route: CriticalRoute): string => {
  switch (route.to) {
    case 'ORDERING_DOCTOR':
      return `It is for the ordering doctor (license ${route.licenseNumber}).`;
    case 'LAST_APPOINTMENT_DOCTOR':
      return route.licenseNumber === null
        ? "It is for the doctor of the patient's most recent appointment."
        : `It is for the doctor of the patient's most recent appointment (license ${route.licenseNumber}).`;
    case 'CLINIC':
      return 'No ordering doctor could be determined: please route it within the clinic.';
  }
};

export function criticalResultMessage(input: {
  /** The patient's MRN; null while the patient is not in the projection. */
  mrn: string | null;
  patientId: string;
  observationId: string;
  route: CriticalRoute;
}): Message {
  const patient =
    input.mrn === null ? `the patient with record id ${input.patientId}` : `patient MRN ${input.mrn}`;
  return {
    subject: 'Critical lab result waiting for review',
    body: [
      `A critical lab result is waiting for ${patient}.`,
      routeLine(input.route),
      `Please review it in the clinic system (result reference ${input.observationId}).`,
      'This message holds no result values by design.',
    ].join('\n'),
  };
}

/** An instant as a patient reads it: in the doctor's time zone (UTC when unknown or invalid), named. */
export function formatAppointmentTime(instant: string | Date, timeZone: string | null): string {
  const at = instant instanceof Date ? instant : new Date(instant);
  const format = (zone: string) =>
    new Intl.DateTimeFormat('en-GB', {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: zone,
      timeZoneName: 'short',
    }).format(at);
  try {
    return format(timeZone ?? 'UTC');
  } catch {
    return format('UTC'); // an unknown zone name: still a correct instant
  }
}

const footer = (appointmentId: string) =>
  `Reference: ${appointmentId}. For questions or changes, please contact the clinic.`;

export function appointmentBookedMessage(input: {
  appointmentId: string;
  start: string;
  timeZone: string | null;
}): Message {
  return {
    subject: 'Your appointment is booked',
    body: [
      `Your appointment on ${formatAppointmentTime(input.start, input.timeZone)} is booked.`,
      footer(input.appointmentId),
    ].join('\n'),
  };
}

export function appointmentRescheduledMessage(input: {
  appointmentId: string;
  start: string;
  previousStart: string;
  timeZone: string | null;
}): Message {
  const from = formatAppointmentTime(input.previousStart, input.timeZone);
  const to = formatAppointmentTime(input.start, input.timeZone);
  return {
    subject: 'Your appointment has been moved',
    body: [`Your appointment on ${from} has been moved to ${to}.`, footer(input.appointmentId)].join('\n'),
  };
}

export function appointmentCancelledMessage(input: {
  appointmentId: string;
  start: string;
  timeZone: string | null;
}): Message {
  return {
    subject: 'Your appointment has been cancelled',
    body: [
      `Your appointment on ${formatAppointmentTime(input.start, input.timeZone)} has been cancelled.`,
      footer(input.appointmentId),
    ].join('\n'),
  };
}
