import {
  appointmentBooked,
  appointmentCancelled,
  appointmentCompleted,
  appointmentRescheduled,
} from '@hsg/contracts';
import { conflict, isUuid, notFound, staleVersion } from '@hsg/kit';
import { auditedWrite, type RequestAudit } from '@hsg/kit/audit';
import { type EventDefinition, eventsFrom, type OutgoingEvent } from '@hsg/kit/events';
import { cursorCodec, validPageSize } from '@hsg/kit/graphql';
import { v7 as uuidv7 } from 'uuid';
import {
  type Appointment,
  type AppointmentCursor,
  type AppointmentFilter,
  type AppointmentPage,
  emptyPage,
  type Interval,
  type PageArgs,
  toSnapshot,
  type Visibility,
  type VisibleFilter,
} from './model.ts';
import { assertKnown, awaitParties, type ProjectionLagPolicy } from './projection-lag.ts';
import { assertBookable, notInThePast, ruleViolation, validDuration, validReason } from './rules.ts';
import { freeSlots, workingIntervals } from './schedule.ts';
import type { AppointmentStore } from './store.ts';

export interface BookAppointmentInput {
  patientId: string;
  doctorId: string;
  start: Date;
  durationMinutes: number;
  reason?: string | null;
}

/**
 * Who or what caused a change: the trace context travels into its events, and the request's audit
 * records the write in the change's own transaction (ADR 0017).
 */
export interface ChangeContext {
  traceparent?: string | undefined;
  audit?: RequestAudit | undefined;
}

export const SOURCE = 'urn:hsg:subgraph:appointment';
const MINUTE = 60_000;
const event = eventsFrom(SOURCE);

/** An appointment event keyed by the appointment, carrying its snapshot (plus any extra data). */
export function appointmentEvent<Data>(
  definition: EventDefinition<string, Data>,
  appointment: Appointment,
  data: Omit<Data, 'appointment'>,
  traceparent?: string,
): OutgoingEvent {
  return event(definition, appointment.id, { ...data, appointment: toSnapshot(appointment) } as Data, {
    traceparent,
  });
}

function requireBooked(current: Appointment, action: string): void {
  if (current.status !== 'BOOKED') {
    throw conflict(`only a BOOKED appointment can be ${action}; this one is ${current.status}`, {
      rule: 'NOT_BOOKED',
      status: current.status,
    });
  }
}

export interface AppointmentDomainOptions {
  store: AppointmentStore;
  lag: ProjectionLagPolicy;
  clock?: () => Date;
}

/** Appointment use cases: validation, state changes and their events. Resolvers only call these. */
export function createAppointmentDomain({ store, lag, clock = () => new Date() }: AppointmentDomainOptions) {
  async function change(id: string, decide: Parameters<AppointmentStore['update']>[1]): Promise<Appointment> {
    const saved = isUuid(id) ? await store.update(id.toLowerCase(), decide) : undefined;
    if (!saved) throw notFound(`No appointment with id ${id}`);
    return saved;
  }

  return {
    async book(input: BookAppointmentInput, context: ChangeContext = {}): Promise<Appointment> {
      const durationMinutes = validDuration(input.durationMinutes, 'input.durationMinutes');
      const start = notInThePast(input.start, clock(), 'input.start');
      const end = new Date(start.getTime() + durationMinutes * MINUTE);
      const reason = validReason(input.reason, 'input.reason');
      const fields = { patient: 'input.patientId', doctor: 'input.doctorId', start: 'input.start' };
      // A malformed id can never become known: unknown at once, no waiting.
      for (const [kind, id, field] of [
        ['PATIENT', input.patientId, fields.patient],
        ['DOCTOR', input.doctorId, fields.doctor],
      ] as const) {
        if (!isUuid(id))
          throw ruleViolation(`${kind}_UNKNOWN`, `${field} is not an id (rule ${kind}_UNKNOWN)`, field);
      }
      const ids = { patientId: input.patientId.toLowerCase(), doctorId: input.doctorId.toLowerCase() };
      assertKnown(await awaitParties(store, ids, lag), ids, fields, lag, clock());
      const now = clock();
      const draft: Appointment = {
        id: uuidv7(),
        ...ids,
        start,
        end,
        status: 'BOOKED',
        reason,
        cancellationReason: null,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      return store.insert(draft, (parties) => {
        assertBookable(parties, ids, { start, end }, fields);
        return [
          appointmentEvent(appointmentBooked, draft, {}, context.traceparent),
          ...auditedWrite(context, draft.patientId),
        ];
      });
    },

    async reschedule(
      id: string,
      expectedVersion: number,
      start: Date,
      durationMinutes: number,
      context: ChangeContext = {},
    ): Promise<Appointment> {
      validDuration(durationMinutes, 'durationMinutes');
      notInThePast(start, clock(), 'start');
      const end = new Date(start.getTime() + durationMinutes * MINUTE);
      return change(id, (current, parties) => {
        if (current.version !== expectedVersion) {
          throw staleVersion('appointment', expectedVersion, current.version);
        }
        requireBooked(current, 'rescheduled');
        assertBookable(parties, current, { start, end }, { patient: 'id', doctor: 'id', start: 'start' });
        const next = { ...current, start, end, version: current.version + 1, updatedAt: clock() };
        const previous = { start: current.start.toISOString(), end: current.end.toISOString() };
        return {
          next,
          events: [
            appointmentEvent(appointmentRescheduled, next, { previous }, context.traceparent),
            ...auditedWrite(context, next.patientId),
          ],
        };
      });
    },

    /** Cancelling a CANCELLED appointment returns it unchanged (a retry after a lost response is safe). */
    async cancel(
      id: string,
      reason: string | null | undefined,
      context: ChangeContext = {},
    ): Promise<Appointment> {
      const cancellationReason = validReason(reason, 'reason');
      return change(id, (current) => {
        if (current.status === 'CANCELLED') return 'unchanged';
        requireBooked(current, 'cancelled');
        const next: Appointment = {
          ...current,
          status: 'CANCELLED',
          cancellationReason,
          version: current.version + 1,
          updatedAt: clock(),
        };
        const cancelledBy = 'USER' as const;
        return {
          next,
          events: [
            appointmentEvent(appointmentCancelled, next, { cancelledBy }, context.traceparent),
            ...auditedWrite(context, next.patientId),
          ],
        };
      });
    },

    /** Completing a COMPLETED appointment returns it unchanged; one that has not started is refused. */
    async complete(id: string, context: ChangeContext = {}): Promise<Appointment> {
      return change(id, (current) => {
        if (current.status === 'COMPLETED') return 'unchanged';
        requireBooked(current, 'completed');
        const now = clock();
        if (now < current.start)
          throw ruleViolation('NOT_STARTED', 'the appointment has not started yet (rule NOT_STARTED)', 'id');
        const next: Appointment = {
          ...current,
          status: 'COMPLETED',
          version: current.version + 1,
          updatedAt: now,
        };
        return {
          next,
          events: [
            appointmentEvent(appointmentCompleted, next, {}, context.traceparent),
            ...auditedWrite(context, next.patientId),
          ],
        };
      });
    },

    async byIds(ids: readonly string[]): Promise<Appointment[]> {
      return store.findByIds(ids.filter(isUuid).map((id) => id.toLowerCase()));
    },

    /** The page of what `visible` lets the caller see: the filter narrowed to it, in SQL. */
    async list(
      filter: AppointmentFilter | null | undefined,
      page: PageArgs,
      visible: Visibility,
    ): Promise<AppointmentPage> {
      const narrowed = narrow(filter, visible);
      return narrowed ? store.list(narrowed, page) : emptyPage;
    },

    async count(filter: AppointmentFilter | null | undefined, visible: Visibility): Promise<number> {
      const narrowed = narrow(filter, visible);
      return narrowed ? store.count(narrowed) : 0;
    },

    /** How many match per parent, in the order given, of what `visible` lets through; malformed ids count none. */
    async countByParents(
      parent: 'patient' | 'doctor',
      parentIds: readonly string[],
      filter: AppointmentFilter | null | undefined,
      visible: Visibility,
    ): Promise<number[]> {
      const ids = parentIds.filter(isUuid).map((id) => id.toLowerCase());
      const narrowed = narrow(filter, visible);
      const counts = narrowed ? await store.countByParents(parent, ids, narrowed) : new Map<string, number>();
      return parentIds.map((id) => counts.get(id.toLowerCase()) ?? 0);
    },

    /** One page per parent of what `visible` lets through; parents with a malformed id get an empty page. */
    async listByParents(
      parent: 'patient' | 'doctor',
      parentIds: readonly string[],
      filter: AppointmentFilter | null | undefined,
      page: PageArgs,
      visible: Visibility,
    ): Promise<AppointmentPage[]> {
      const ids = parentIds.filter(isUuid).map((id) => id.toLowerCase());
      const narrowed = narrow(filter, visible);
      const pages = narrowed
        ? await store.listByParents(parent, ids, narrowed, page)
        : new Map<string, AppointmentPage>();
      return parentIds.map((id) => pages.get(id.toLowerCase()) ?? emptyPage);
    },

    /**
     * Free slots per doctor on a local date: one projection read and one appointments read for all of
     * them. Unknown and inactive doctors have none.
     */
    async slots(doctorIds: readonly string[], date: string, durationMinutes: number): Promise<Interval[][]> {
      const now = clock();
      const doctors = (
        await store.findDoctors(doctorIds.filter(isUuid).map((id) => id.toLowerCase()))
      ).filter((doctor) => doctor.active);
      const working = new Map(
        doctors.map((doctor) => [doctor.id, workingIntervals(doctor, date).filter((i) => i.end > now)]),
      );
      const all = [...working.values()].flat();
      const booked =
        all.length === 0
          ? []
          : await store.bookedIntervals(
              [...working].filter(([, intervals]) => intervals.length > 0).map(([id]) => id),
              new Date(Math.min(...all.map((i) => i.start.getTime()))),
              new Date(Math.max(...all.map((i) => i.end.getTime()))),
            );
      return doctorIds.map((id) =>
        freeSlots({
          working: working.get(id.toLowerCase()) ?? [],
          booked: booked.filter((interval) => interval.doctorId === id.toLowerCase()),
          durationMinutes,
          now,
        }),
      );
    },
  };
}

export type AppointmentDomain = ReturnType<typeof createAppointmentDomain>;

/** The filter narrowed to what the caller may see; undefined when that is nothing (no query needed). */
function narrow(
  filter: AppointmentFilter | null | undefined,
  visible: Visibility,
): VisibleFilter | undefined {
  if (visible === 'none') return undefined;
  return visible === 'all' ? { ...filter } : { ...filter, ...visible };
}

/** Appointments are ordered by start, then id. */
export const appointmentCursor = cursorCodec<AppointmentCursor>(
  (cursor) => [cursor.start.toISOString(), cursor.id],
  ([start, id]) => {
    const at = typeof start === 'string' ? new Date(start) : undefined;
    return at && !Number.isNaN(at.getTime()) && isUuid(id) ? { start: at, id } : undefined;
  },
);

/** Validates `first` (1..100) and decodes `after`. */
export function pageArgs(first: number, after: string | null | undefined): PageArgs {
  return { first: validPageSize(first), after: after ? appointmentCursor.decode(after) : undefined };
}
