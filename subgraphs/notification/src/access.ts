import { auditRecorded } from '@hsg/contracts';
import { isUuid } from '@hsg/kit';
import type { AuditDeclaration } from '@hsg/kit/audit';
import type { Policies, Principal } from '@hsg/kit/auth';
import type { Notification, Visibility } from './model.ts';
import type { NotificationContext } from './resolvers.ts';

/**
 * Who may see which notifications (ADR 0024, on ADR 0016): a front desk every patient's, a PATIENT their
 * own (those about them), a CLINICIAN those of the patients they have or had appointments with and those
 * addressed to them; nobody else any (the `notifications:read` scope in schema.graphql already keeps out
 * ADMIN, BILLING and INTEGRATION). Lists are narrowed to `visibilityOf` in SQL; these policies are the
 * net under it, and refuse a list of a patient the caller has nothing of.
 */

/** An id as the store holds it (a UUID in lower case); else undefined. */
const linked = (id: unknown) => (isUuid(id) ? id.toLowerCase() : undefined);

export function visibilityOf(principal: Principal | undefined): Visibility {
  if (principal?.role === 'FRONT_DESK') return 'all';
  const patientId = principal?.role === 'PATIENT' ? linked(principal.patientId) : undefined;
  if (patientId) return { patientId };
  const doctorId = principal?.role === 'CLINICIAN' ? linked(principal.doctorId) : undefined;
  return doctorId ? { doctorId } : 'none';
}

/** Whether the principal may list this patient's notifications (a CLINICIAN through the request's loader). */
async function mayList(principal: Principal, patientId: string | undefined, context: NotificationContext) {
  if (principal.role === 'FRONT_DESK') return true; // an id that is no patient's lists nothing
  if (patientId === undefined) return false;
  if (principal.role === 'PATIENT') return patientId === linked(principal.patientId);
  if (principal.role !== 'CLINICIAN' || !linked(principal.doctorId)) return false;
  const reach = await context.loaders.reach.load(patientId);
  return reach.cared || reach.addressed;
}

/** Whether the principal may see this one notification. */
async function maySee(principal: Principal, notification: Notification, context: NotificationContext) {
  if (principal.role === 'FRONT_DESK') return true;
  if (principal.role === 'PATIENT') return notification.patientId === linked(principal.patientId);
  const doctorId = principal.role === 'CLINICIAN' ? linked(principal.doctorId) : undefined;
  if (!doctorId) return false;
  if (notification.recipient.kind === 'DOCTOR' && notification.recipient.id === doctorId) return true;
  return (await context.loaders.reach.load(notification.patientId)).cared;
}

const idOf = (value: unknown) => linked((value as { id?: unknown } | null)?.id);

export const notificationPolicies: Policies<NotificationContext> = {
  /** On type Notification: every one any field returns, entities included. */
  'notification.visible': ({ principal, value, context }) =>
    maySee(principal, value as Notification, context),

  /** Patient.notifications: by the parent patient. */
  'patient.notifications': ({ principal, value, context }) => mayList(principal, idOf(value), context),

  /** Query.notifications(patientId): by the argument. */
  'notifications.ofPatient': ({ principal, args, context }) =>
    mayList(principal, linked(args.patientId), context),
};

/**
 * What notification audits (ADR 0017): a notification is patient data (it names its patient's MRN, an
 * appointment's time). Every one it answers or refuses is its patient's, with the fields asked; a refused
 * list by the patient it names.
 */
export const notificationAudit: AuditDeclaration<NotificationContext> = {
  event: auditRecorded,
  types: { Notification: (notification: Notification) => notification.patientId },
  targets: {
    'Query.notifications': ({ args }) => linked(args.patientId),
    'Patient.notifications': ({ parent }) => idOf(parent),
  },
};
