import { conflict } from '@hsg/kit';
import { enqueueEvents } from '@hsg/kit/events';
import {
  type AnyKysely,
  isExclusionViolation,
  retryCollisions,
  type SqlDatabase,
  violatedConstraint,
} from '@hsg/kit/sql';
import {
  type ExpressionBuilder,
  type Kysely,
  type RawBuilder,
  type SqlBool,
  sql,
  type Transaction,
} from 'kysely';
import type { AppointmentPage, Parties, VisibleFilter } from './model.ts';
import type { AppointmentStore } from './store.ts';
import {
  type AppointmentRow,
  appointmentColumns,
  doctorProjectionColumns,
  patientProjectionColumns,
  type Tables,
  toAppointment,
  toAppointmentRow,
  toDoctorProjection,
  toPatientProjection,
} from './tables.ts';

const uuids = (ids: readonly string[]) => sql`${sql.val([...ids])}::uuid[]`;

function filterConditions(eb: ExpressionBuilder<Tables, 'appointments'>, filter: VisibleFilter) {
  const conditions = [];
  if (filter.patientId) conditions.push(eb('patient_id', '=', filter.patientId));
  if (filter.doctorId) conditions.push(eb('doctor_id', '=', filter.doctorId));
  if (filter.status && filter.status.length > 0) conditions.push(eb('status', 'in', filter.status));
  if (filter.from) conditions.push(eb('start_at', '>=', filter.from));
  if (filter.to) conditions.push(eb('start_at', '<', filter.to));
  return conditions;
}

/** The same filter as raw SQL, for the windowed per-parent query. */
function filterSql(filter: VisibleFilter): RawBuilder<SqlBool>[] {
  const conditions: RawBuilder<SqlBool>[] = [];
  if (filter.patientId) conditions.push(sql`patient_id = ${filter.patientId}::uuid`);
  if (filter.doctorId) conditions.push(sql`doctor_id = ${filter.doctorId}::uuid`);
  if (filter.status && filter.status.length > 0)
    conditions.push(sql`status = any(${sql.val(filter.status)}::text[])`);
  if (filter.from) conditions.push(sql`start_at >= ${filter.from}`);
  if (filter.to) conditions.push(sql`start_at < ${filter.to}`);
  return conditions;
}

/** Rows of these parents matching the filter, for the per-parent queries. */
function parentsWhere(column: RawBuilder<unknown>, parentIds: readonly string[], filter: VisibleFilter) {
  return sql.join([sql<SqlBool>`${column} = any(${uuids(parentIds)})`, ...filterSql(filter)], sql` and `);
}

/** An overlap the exclusion constraints refused becomes CONFLICT naming whose time is taken. */
function overlapConflict(error: unknown): never {
  if (isExclusionViolation(error)) {
    const taken = violatedConstraint(error)?.includes('patient') ? 'patient' : 'doctor';
    throw conflict(`the ${taken} already has an appointment overlapping that time`, {
      rule: taken === 'patient' ? 'PATIENT_OVERLAP' : 'DOCTOR_OVERLAP',
      taken,
    });
  }
  throw error;
}

/**
 * The parties' projections. Writes read them FOR SHARE: a deactivation committing meanwhile waits for the
 * write, or wins first (the write then sees the party inactive).
 */
async function readParties(
  executor: Kysely<Tables>,
  patientId: string,
  doctorId: string,
  { lock }: { lock: boolean },
): Promise<Parties> {
  const patientQuery = executor
    .selectFrom('patient_projection')
    .select(patientProjectionColumns)
    .where('id', '=', patientId);
  const doctorQuery = executor
    .selectFrom('doctor_projection')
    .select(doctorProjectionColumns)
    .where('id', '=', doctorId);
  const patient = await (lock ? patientQuery.forShare() : patientQuery).executeTakeFirst();
  const doctor = await (lock ? doctorQuery.forShare() : doctorQuery).executeTakeFirst();
  return {
    patient: patient && toPatientProjection(patient),
    doctor: doctor && toDoctorProjection(doctor),
  };
}

export function createSqlAppointmentStore(database: SqlDatabase): AppointmentStore {
  const db = database.db as Kysely<Tables>;

  return {
    async findByIds(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('appointments')
        .select(appointmentColumns)
        .where('id', '=', sql<string>`any(${uuids(ids)})`)
        .execute();
      return rows.map(toAppointment);
    },

    async list(filter, { first, after }) {
      const rows = await db
        .selectFrom('appointments')
        .select(appointmentColumns)
        .where((eb) =>
          eb.and([
            ...filterConditions(eb, filter),
            ...(after ? [eb(eb.refTuple('start_at', 'id'), '>', eb.tuple(after.start, after.id))] : []),
          ]),
        )
        .orderBy('start_at')
        .orderBy('id')
        .limit(first + 1)
        .execute();
      return { appointments: rows.slice(0, first).map(toAppointment), hasNextPage: rows.length > first };
    },

    async count(filter) {
      const { count } = await db
        .selectFrom('appointments')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where((eb) => eb.and(filterConditions(eb, filter)))
        .executeTakeFirstOrThrow();
      return Number(count);
    },

    async listByParents(parent, parentIds, filter, { first, after }) {
      const pages = new Map<string, AppointmentPage>();
      if (parentIds.length === 0) return pages;
      const column = sql.ref(parent === 'patient' ? 'patient_id' : 'doctor_id');
      const where = parentsWhere(column, parentIds, filter);
      const afterCursor = after ? sql`(start_at, id) > (${after.start}, ${after.id}::uuid)` : sql`true`;
      const columns = sql.join(appointmentColumns.map((name) => sql.ref(name)));
      // row_number() per parent takes each parent's first page in one statement, whatever the number of parents.
      const ranked = await sql<AppointmentRow & { parent_id: string; rn: number }>`
        select * from (
          select ${columns}, ${column} as parent_id,
            row_number() over (partition by ${column} order by start_at, id) as rn
          from appointments where ${where} and ${afterCursor}
        ) ranked
        where rn <= ${first + 1}
        order by parent_id, start_at, id`.execute(db);
      for (const row of ranked.rows) {
        const page = pages.get(row.parent_id) ?? { appointments: [], hasNextPage: false };
        pages.set(row.parent_id, page);
        if (Number(row.rn) > first) page.hasNextPage = true;
        else page.appointments.push(toAppointment(row));
      }
      return pages;
    },

    async countByParents(parent, parentIds, filter) {
      if (parentIds.length === 0) return new Map();
      const column = sql.ref(parent === 'patient' ? 'patient_id' : 'doctor_id');
      const counts = await sql<{ parent_id: string; count: number }>`
        select ${column} as parent_id, count(*) as count from appointments
        where ${parentsWhere(column, parentIds, filter)} group by ${column}`.execute(db);
      return new Map(counts.rows.map((row) => [row.parent_id, Number(row.count)]));
    },

    findParties(patientId, doctorId) {
      return readParties(db, patientId, doctorId, { lock: false });
    },

    async findDoctors(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('doctor_projection')
        .select(doctorProjectionColumns)
        .where('id', '=', sql<string>`any(${uuids(ids)})`)
        .execute();
      return rows.map(toDoctorProjection);
    },

    async bookedIntervals(doctorIds, from, to) {
      if (doctorIds.length === 0) return [];
      const rows = await db
        .selectFrom('appointments')
        .select(['doctor_id', 'start_at', 'end_at'])
        .where('doctor_id', '=', sql<string>`any(${uuids(doctorIds)})`)
        .where('status', '=', 'BOOKED')
        .where('start_at', '<', to)
        .where('end_at', '>', from)
        .execute();
      return rows.map((row) => ({ doctorId: row.doctor_id, start: row.start_at, end: row.end_at }));
    },

    insert(draft, decide) {
      return retryCollisions(() =>
        database.transaction(async (trx: Transaction<Tables>) => {
          const events = decide(await readParties(trx, draft.patientId, draft.doctorId, { lock: true }));
          await trx.insertInto('appointments').values(toAppointmentRow(draft)).execute();
          await enqueueEvents(database, trx as AnyKysely, events);
          return draft;
        }),
      ).catch(overlapConflict);
    },

    update(id, decide) {
      return retryCollisions(() =>
        database.transaction(async (trx: Transaction<Tables>) => {
          const parties = await trx
            .selectFrom('appointments')
            .select(['patient_id', 'doctor_id'])
            .where('id', '=', id)
            .executeTakeFirst();
          if (!parties) return undefined;
          // Projections before the appointment: the same lock order as a deactivation cancelling it.
          const locked = await readParties(trx, parties.patient_id, parties.doctor_id, { lock: true });
          const row = await trx
            .selectFrom('appointments')
            .select(appointmentColumns)
            .where('id', '=', id)
            .forUpdate()
            .executeTakeFirstOrThrow();
          const current = toAppointment(row);
          const decision = decide(current, locked);
          if (decision === 'unchanged') return current;
          const { id: _id, created_at: _created, ...changes } = toAppointmentRow(decision.next);
          await trx.updateTable('appointments').set(changes).where('id', '=', id).execute();
          await enqueueEvents(database, trx as AnyKysely, decision.events);
          return decision.next;
        }),
      ).catch(overlapConflict);
    },
  };
}
