import { enqueueEvents } from '@hsg/kit/events';
import { type AnyKysely, retryCollisions, type SqlDatabase } from '@hsg/kit/sql';
import { type Kysely, type RawBuilder, type SqlBool, sql, type Transaction } from 'kysely';
import type { Observation, ObservationPage, PageArgs } from './model.ts';
import type { ListFilter, ObservationChange, ObservationStore } from './store.ts';
import {
  type ObservationRow,
  type RevisionRow,
  type Tables,
  toObservation,
  toRevision,
  toRow,
} from './tables.ts';

const uuids = (ids: readonly string[]) => sql`${sql.val([...ids])}::uuid[]`;
const texts = (values: readonly string[]) => sql`${sql.val([...values])}::text[]`;

/** The caller's reach as a condition: a PATIENT their own rows, a CLINICIAN their cared-for patients'. */
const visibleSql = (visible: ListFilter['visible']): RawBuilder<SqlBool> =>
  'patientId' in visible
    ? sql<SqlBool>`patient_id = ${visible.patientId}::uuid`
    : sql<SqlBool>`patient_id in (select patient_id from care_relationships where doctor_id = ${visible.doctorId}::uuid)`;

/** The filter as index-friendly conditions; without a status filter, retracted results are hidden. */
function filterSql(filter: ListFilter): RawBuilder<SqlBool> {
  const conditions: RawBuilder<SqlBool>[] = [visibleSql(filter.visible)];
  if (filter.code) conditions.push(sql`code = ${filter.code}`);
  if (filter.system) conditions.push(sql`code_system = ${filter.system}`);
  if (filter.from) conditions.push(sql`sort_at >= ${filter.from}`);
  if (filter.to) conditions.push(sql`sort_at < ${filter.to}`);
  if (filter.status && filter.status.length > 0) conditions.push(sql`status = any(${texts(filter.status)})`);
  else conditions.push(sql`status <> 'ENTERED_IN_ERROR'`);
  if (filter.abnormalOnly) conditions.push(sql`abnormal`);
  if (filter.criticalOnly) conditions.push(sql`critical`);
  return sql.join(conditions, sql` and `);
}

/** Newest first: the page after the cursor holds what sorts before it. */
const afterSql = (page: PageArgs) =>
  page.after
    ? sql<SqlBool>`(sort_at, id) < (${page.after.sortAt}, ${page.after.id}::uuid)`
    : sql<SqlBool>`true`;

export function createSqlObservationStore(database: SqlDatabase): ObservationStore {
  const db = database.db as Kysely<Tables>;

  const select = async (executor: Kysely<Tables>, where: RawBuilder<SqlBool>, lock = false) =>
    (
      await sql<ObservationRow>`select * from observations where ${where}
        ${lock ? sql`order by sort_at desc, id desc limit 1 for update` : sql``}`.execute(executor)
    ).rows.map(toObservation);

  /** Keeps the current version as a revision, then makes `next` current (same id). */
  async function replace(trx: Kysely<Tables>, current: Observation, next: Observation) {
    await trx
      .insertInto('observation_revisions')
      .values({
        observation_id: current.id,
        version: current.version,
        status: current.status,
        recorded_at: current.updatedAt,
        resource: JSON.stringify(current.fhir),
      } satisfies RevisionRow)
      .execute();
    const { id: _id, recorded_at: _recorded, ...columns } = toRow(next);
    await trx.updateTable('observations').set(columns).where('id', '=', current.id).execute();
  }

  return {
    async patientsByIds(ids) {
      if (ids.length === 0) return [];
      return db
        .selectFrom('patient_projection')
        .select(['id', 'mrn', 'active'])
        .where('id', '=', sql<string>`any(${uuids(ids)})`)
        .execute();
    },

    async patientsByMrns(mrns) {
      if (mrns.length === 0) return [];
      return db
        .selectFrom('patient_projection')
        .select(['id', 'mrn', 'active'])
        .where('mrn', '=', sql<string>`any(${texts(mrns)})`)
        .execute();
    },

    async caredForBy(doctorId, patientIds) {
      if (patientIds.length === 0) return [];
      const rows = await db
        .selectFrom('care_relationships')
        .select('patient_id')
        .where('doctor_id', '=', doctorId)
        .where('patient_id', '=', sql<string>`any(${uuids(patientIds)})`)
        .execute();
      return rows.map((row) => row.patient_id);
    },

    async observationsByIds(ids) {
      return ids.length === 0 ? [] : select(db, sql`id = any(${uuids(ids)})`);
    },

    async revisionsOf(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('observation_revisions')
        .selectAll()
        .where('observation_id', '=', sql<string>`any(${uuids(ids)})`)
        .orderBy('observation_id')
        .orderBy('version', 'desc')
        .execute();
      return rows.map(toRevision);
    },

    async listByPatients(patientIds, filter, page) {
      const pages = new Map<string, ObservationPage>();
      if (patientIds.length === 0) return pages;
      // row_number() per patient takes each one's first page in one statement, whatever the number.
      const ranked = await sql<ObservationRow & { rn: number }>`
        select * from (
          select *, row_number() over (partition by patient_id order by sort_at desc, id desc) as rn
          from observations
          where patient_id = any(${uuids(patientIds)}) and ${filterSql(filter)} and ${afterSql(page)}
        ) ranked
        where rn <= ${page.first + 1}
        order by patient_id, sort_at desc, id desc`.execute(db);
      for (const row of ranked.rows) {
        const entry = pages.get(row.patient_id) ?? { observations: [], hasNextPage: false };
        pages.set(row.patient_id, entry);
        if (Number(row.rn) > page.first) entry.hasNextPage = true;
        else entry.observations.push(toObservation(row));
      }
      return pages;
    },

    async countByPatients(patientIds, filter) {
      if (patientIds.length === 0) return new Map();
      const counts = await sql<{ patient_id: string; count: number }>`
        select patient_id, count(*) as count from observations
        where patient_id = any(${uuids(patientIds)}) and ${filterSql(filter)}
        group by patient_id`.execute(db);
      return new Map(counts.rows.map((row) => [row.patient_id, Number(row.count)]));
    },

    async latestByPatients(patientIds, codes, visible) {
      if (patientIds.length === 0) return [];
      const byCode = codes === undefined ? sql`true` : sql`code = any(${texts(codes)})`;
      const rows = await sql<ObservationRow>`
        select distinct on (patient_id, code, code_system) * from observations
        where patient_id = any(${uuids(patientIds)}) and ${visibleSql(visible)} and ${byCode}
          and status not in ('ENTERED_IN_ERROR', 'CANCELLED')
        order by patient_id, code, code_system, sort_at desc, id desc`.execute(db);
      return rows.rows.map(toObservation);
    },

    recordBatch(plan, conflictOnReuse) {
      return retryCollisions(() =>
        database.transaction(async (trx: Transaction<Tables>) => {
          // The batch's key first: a concurrent identical batch waits here on the first one's row and,
          // once that commits, finds it and answers duplicate.
          const claimed =
            await sql`insert into lab_batches (sending_facility, message_id, content_hash, patient_id, recorded_at)
            values (${plan.sendingFacility}, ${plan.messageId}, ${plan.contentHash}, ${plan.patientId}, ${plan.recordedAt})
            on conflict do nothing returning message_id`.execute(trx);
          if (claimed.rows.length === 0) {
            const earlier = await trx
              .selectFrom('lab_batches')
              .select('content_hash')
              .where('sending_facility', '=', plan.sendingFacility)
              .where('message_id', '=', plan.messageId)
              .executeTakeFirstOrThrow();
            if (earlier.content_hash !== plan.contentHash) throw conflictOnReuse();
            const rows = await sql<ObservationRow>`select o.* from lab_batch_results r
              join observations o on o.id = r.observation_id
              where r.sending_facility = ${plan.sendingFacility} and r.message_id = ${plan.messageId}
              order by r.position`.execute(trx);
            return { observations: rows.rows.map(toObservation), duplicate: true };
          }
          const changes: ObservationChange[] = [];
          // New results go in one multi-row INSERT each (observations, then their batch rows), not two
          // round trips per result; a correction first writes the new ones before it, since it may
          // supersede one of them.
          let unwritten: Observation[] = [];
          const batchRows: Tables['lab_batch_results'][] = [];
          const writeNew = async () => {
            if (unwritten.length === 0) return;
            await trx.insertInto('observations').values(unwritten.map(toRow)).execute();
            unwritten = [];
          };
          for (const result of plan.results) {
            const which = result.supersedes;
            if (which) await writeNew();
            const current = which
              ? (
                  await select(
                    trx,
                    sql`patient_id = ${plan.patientId}::uuid and code = ${which.code}
                      and code_system = ${which.codeSystem}
                      and (placer_order = ${which.placerOrder} or filler_order = ${which.fillerOrder})`,
                    true,
                  )
                )[0]
              : undefined;
            const next = result.build(current);
            if (current) await replace(trx, current, next);
            else unwritten.push(next);
            changes.push({ next, previous: current });
            batchRows.push({
              sending_facility: plan.sendingFacility,
              message_id: plan.messageId,
              position: result.position,
              observation_id: next.id,
              version: next.version,
            });
          }
          await writeNew();
          if (batchRows.length > 0) await trx.insertInto('lab_batch_results').values(batchRows).execute();
          await enqueueEvents(database, trx as AnyKysely, plan.events(changes));
          return { observations: changes.map((change) => change.next), duplicate: false };
        }),
      );
    },

    change(id, decide) {
      return retryCollisions(() =>
        database.transaction(async (trx: Transaction<Tables>) => {
          const current = (await select(trx, sql`id = ${id}::uuid`, true))[0];
          if (!current) return undefined;
          const { next, events } = decide(current);
          await replace(trx, current, next);
          await enqueueEvents(database, trx as AnyKysely, events);
          return next;
        }),
      );
    },
  };
}
