import { auditRecorded } from '@hsg/contracts';
import { isUuid } from '@hsg/kit';
import type { AuditDeclaration } from '@hsg/kit/audit';
import type { Policies, Principal } from '@hsg/kit/auth';
import type { Appointment, Visibility } from './model.ts';
import type { AppointmentContext } from './resolvers.ts';

/**
 * Who may see and change which appointments (ADR 0016): a front desk every one, a patient their own, a
 * clinician their schedule. The schema names these policies; lists are narrowed to `visibilityOf` in SQL.
 */

/** The patient or doctor id a token links, as the store holds ids (a UUID in lower case); else undefined. */
const linked = (id: string | undefined) => (id !== undefined && isUuid(id) ? id.toLowerCase() : undefined);

/** Whether an id from the request is the linked one (ids compare case-insensitively, like the store's). */
const isLinked = (id: unknown, linkedId: string | undefined) =>
  linkedId !== undefined && typeof id === 'string' && id.toLowerCase() === linkedId;

/** Which appointments a principal may see: what every list of this subgraph is narrowed to. */
export function visibilityOf(principal: Principal | undefined): Visibility {
  if (principal?.role === 'FRONT_DESK') return 'all';
  const patientId = principal?.role === 'PATIENT' ? linked(principal.patientId) : undefined;
  if (patientId) return { patientId };
  const doctorId = principal?.role === 'CLINICIAN' ? linked(principal.doctorId) : undefined;
  if (doctorId) return { doctorId };
  return 'none';
}

export function isVisible(visible: Visibility, appointment: Appointment): boolean {
  if (visible === 'all' || visible === 'none') return visible === 'all';
  return 'patientId' in visible
    ? appointment.patientId === visible.patientId
    : appointment.doctorId === visible.doctorId;
}

/**
 * The appointment a mutation names is the caller's: visible to them, or no appointment at all (then the
 * mutation answers NOT_FOUND, as `appointment(id)` answers null; another's is FORBIDDEN there too).
 */
async function isOwnOrMissing(principal: Principal, id: unknown, context: AppointmentContext) {
  const appointment = await context.loaders.appointment.load(String(id));
  return appointment === undefined || isVisible(visibilityOf(principal), appointment);
}

const idOf = (value: unknown) => (value as { id?: unknown } | null)?.id;

export const appointmentPolicies: Policies<AppointmentContext> = {
  /** On the type: every appointment any field returns, entities for the router included. */
  'appointment.visible': ({ principal, value }) => isVisible(visibilityOf(principal), value as Appointment),

  /** A front desk any patient's; a patient only their own; a clinician any (narrowed to theirs). */
  'patient.appointments': ({ principal, value }) =>
    principal.role === 'FRONT_DESK' ||
    principal.role === 'CLINICIAN' ||
    (principal.role === 'PATIENT' && isLinked(idOf(value), linked(principal.patientId))),

  /** A front desk any doctor's; a clinician only their own; a patient any (narrowed to theirs). */
  'doctor.appointments': ({ principal, value }) =>
    principal.role === 'FRONT_DESK' ||
    principal.role === 'PATIENT' ||
    (principal.role === 'CLINICIAN' && isLinked(idOf(value), linked(principal.doctorId))),

  'appointment.book': ({ principal, args }) =>
    principal.role === 'FRONT_DESK' ||
    (principal.role === 'PATIENT' &&
      isLinked((args.input as { patientId?: unknown }).patientId, linked(principal.patientId))),

  /** Reschedule, cancel: a front desk, or the appointment's patient. */
  'appointment.change': ({ principal, args, context }) =>
    principal.role === 'FRONT_DESK' ||
    (principal.role === 'PATIENT' && isOwnOrMissing(principal, args.id, context)),

  /** Complete: only the appointment's doctor. */
  'appointment.complete': ({ principal, args, context }) =>
    principal.role === 'CLINICIAN' && isOwnOrMissing(principal, args.id, context),
};

/** The patient of the appointment a request names (through the request's loader, which policies share). */
const patientOfAppointment = async (id: unknown, context: AppointmentContext) =>
  (await context.loaders.appointment.load(String(id)))?.patientId;

/**
 * What the appointment subgraph audits (ADR 0017): every appointment it answers or refuses is its
 * patient's data, with the fields asked; a refused lookup, list or change by the patient it names.
 */
export const appointmentAudit: AuditDeclaration<AppointmentContext> = {
  event: auditRecorded,
  types: { Appointment: (appointment: Appointment) => appointment.patientId },
  targets: {
    'Query.appointment': ({ args, context }) => patientOfAppointment(args.id, context),
    'Patient.appointments': ({ parent }) => linked(idOf(parent) as string | undefined),
    'Mutation.bookAppointment': ({ args }) => linked((args.input as { patientId?: string }).patientId),
    'Mutation.rescheduleAppointment': ({ args, context }) => patientOfAppointment(args.id, context),
    'Mutation.cancelAppointment': ({ args, context }) => patientOfAppointment(args.id, context),
    'Mutation.completeAppointment': ({ args, context }) => patientOfAppointment(args.id, context),
  },
};
