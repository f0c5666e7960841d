import type { SqlDatabase } from '@hsg/kit/sql';
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { ClaimedNotification, NotificationPage, PageArgs } from './model.ts';
import type { NotificationOutbox, NotificationStore, StoreVisibility } from './store.ts';
import {
  type NotificationRow,
  type NotificationSelect,
  notificationColumns,
  type Tables,
  toNotification,
} from './tables.ts';

const uuids = (ids: readonly string[]) => sql`${sql.val([...ids])}::uuid[]`;
const columns = sql.join(notificationColumns.map((name) => sql.ref(name)));

/** The caller's reach as a condition: a PATIENT their own; a CLINICIAN their patients' and their own mail. */
function visibleSql(visible: StoreVisibility): RawBuilder<SqlBool> {
  if (visible === 'all') return sql<SqlBool>`true`;
  if ('patientId' in visible) return sql<SqlBool>`patient_id = ${visible.patientId}::uuid`;
  return sql<SqlBool>`(patient_id in (select patient_id from care_relationships where doctor_id = ${visible.doctorId}::uuid)
    or (recipient_kind = 'DOCTOR' and recipient_id = ${visible.doctorId}::uuid))`;
}

/** Newest first: the page after the cursor holds what was created before it. */
const afterSql = (page: PageArgs) =>
  page.after
    ? sql<SqlBool>`(created_at, id) < (${page.after.createdAt}, ${page.after.id}::uuid)`
    : sql<SqlBool>`true`;

export function createSqlNotificationStore(database: SqlDatabase): NotificationStore {
  const db = database.db as Kysely<Tables>;
  return {
    async notificationsByIds(ids) {
      if (ids.length === 0) return [];
      const rows = await sql<NotificationSelect>`select ${columns} from notifications
        where id = any(${uuids(ids)})`.execute(db);
      return rows.rows.map(toNotification);
    },

    async listByPatients(patientIds, visible, page) {
      const pages = new Map<string, NotificationPage>();
      if (patientIds.length === 0) return pages;
      // row_number() per patient takes each one's page in one statement, whatever the number of patients.
      const ranked = await sql<NotificationSelect & { rn: number }>`
        select * from (
          select ${columns},
            row_number() over (partition by patient_id order by created_at desc, id desc) as rn
          from notifications
          where patient_id = any(${uuids(patientIds)}) and ${visibleSql(visible)} and ${afterSql(page)}
        ) ranked
        where rn <= ${page.first + 1}
        order by patient_id, created_at desc, id desc`.execute(db);
      for (const row of ranked.rows) {
        const entry = pages.get(row.patient_id) ?? { notifications: [], hasNextPage: false };
        pages.set(row.patient_id, entry);
        if (Number(row.rn) > page.first) entry.hasNextPage = true;
        else entry.notifications.push(toNotification(row));
      }
      return pages;
    },

    async countByPatients(patientIds, visible) {
      if (patientIds.length === 0) return new Map();
      const counts = await sql<{ patient_id: string; count: number }>`
        select patient_id, count(*) as count from notifications
        where patient_id = any(${uuids(patientIds)}) and ${visibleSql(visible)}
        group by patient_id`.execute(db);
      return new Map(counts.rows.map((row) => [row.patient_id, Number(row.count)]));
    },

    async clinicianReach(doctorId, patientIds) {
      if (patientIds.length === 0) return { cared: [], addressed: [] };
      const rows = await sql<{ patient_id: string; how: 'cared' | 'addressed' }>`
        select patient_id, 'cared' as how from care_relationships
          where doctor_id = ${doctorId}::uuid and patient_id = any(${uuids(patientIds)})
        union
        select distinct patient_id, 'addressed' as how from notifications
          where recipient_kind = 'DOCTOR' and recipient_id = ${doctorId}::uuid
            and patient_id = any(${uuids(patientIds)})`.execute(db);
      return {
        cared: rows.rows.filter((row) => row.how === 'cared').map((row) => row.patient_id),
        addressed: rows.rows.filter((row) => row.how === 'addressed').map((row) => row.patient_id),
      };
    },
  };
}

type ClaimRow = Pick<
  NotificationRow,
  'id' | 'kind' | 'recipient_kind' | 'recipient_id' | 'subject' | 'body' | 'attempts'
> & { email: string | null; patient_known: boolean };

export function createSqlNotificationOutbox(database: SqlDatabase): NotificationOutbox {
  const db = database.db as Kysely<Tables>;

  /** Concludes the claimed attempt, if the row is still at that attempt and PENDING. */
  const conclude = async (id: string, attempt: number, set: RawBuilder<unknown>) => {
    const result = await sql<{ id: string }>`update notifications set ${set}
      where id = ${id}::uuid and status = 'PENDING' and attempts = ${attempt} returning id`.execute(db);
    return result.rows.length === 1;
  };

  return {
    async claimDue(now, claimUntil, limit) {
      // SKIP LOCKED: concurrent passes (a second instance) take disjoint rows; the claim's new
      // next_attempt_at keeps them from taking the row again until it runs out.
      const claimed = await database.transaction(async (trx) => {
        const { rows } = await sql<ClaimRow>`
          with due as materialized (
            select id from notifications
            where status = 'PENDING' and next_attempt_at <= ${now}
            order by next_attempt_at, id
            limit ${limit}
            for update skip locked
          ), claimed as (
            update notifications n set attempts = n.attempts + 1, next_attempt_at = ${claimUntil}
            from due where n.id = due.id
            returning n.id, n.kind, n.patient_id, n.recipient_kind, n.recipient_id, n.subject, n.body,
              n.attempts
          )
          select c.id, c.kind, c.recipient_kind, c.recipient_id, c.subject, c.body, c.attempts,
            p.email, (p.id is not null) as patient_known
          from claimed c left join patient_projection p on p.id = c.patient_id
          order by c.id`.execute(trx);
        return rows;
      });
      return claimed.map(
        (row): ClaimedNotification => ({
          id: row.id,
          kind: row.kind,
          recipient: { kind: row.recipient_kind, id: row.recipient_id },
          subject: row.subject,
          body: row.body,
          attempt: Number(row.attempts),
          patientEmail: row.email,
          patientKnown: Boolean(row.patient_known),
        }),
      );
    },

    markSent: (id, attempt, channel, at) =>
      conclude(id, attempt, sql`status = 'SENT', channel = ${channel}, sent_at = ${at}, last_error = null`),

    markRetry: (id, attempt, channel, nextAttemptAt, error) =>
      conclude(
        id,
        attempt,
        sql`channel = ${channel}, next_attempt_at = ${nextAttemptAt}, last_error = ${error}`,
      ),

    markFailed: (id, attempt, channel, error) =>
      conclude(id, attempt, sql`status = 'FAILED', channel = ${channel}, last_error = ${error}`),
  };
}
