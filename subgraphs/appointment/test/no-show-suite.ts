import { silentLogger } from '@hsg/kit';
import { eventKitMigrations } from '@hsg/kit/events';
import { runMigrations, type SqlDatabase } from '@hsg/kit/sql';
import { type SqlBackend, setupTimeoutMs, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type Kysely, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { AppointmentStatus } from '../src/model.ts';
import { createNoShowJob } from '../src/no-show.ts';
import { appointmentMigrations } from '../src/subgraph.ts';
import { type Tables, toAppointmentRow } from '../src/tables.ts';

const MINUTE = 60_000;
const now = new Date('2026-03-10T12:00:00Z');
const clock = () => now;
const graceMinutes = 15;

/**
 * The no-show job on one SQL backend: which appointments it marks, and that two instances (two job
 * objects on two connections) running at once mark each exactly once, with exactly one event each.
 */
export function describeNoShowJob(makeBackend: () => SqlBackend): void {
  const backend = makeBackend();
  let first: SqlDatabase;
  let second: SqlDatabase;
  const db = () => first.db as Kysely<Tables>;

  /** An appointment of its own patient and doctor, ending `endedAgoMinutes` before now. */
  async function appointment(
    status: AppointmentStatus,
    endedAgoMinutes: number,
    minutes = 30,
  ): Promise<string> {
    const end = new Date(now.getTime() - endedAgoMinutes * MINUTE);
    const row = toAppointmentRow({
      id: uuidv7(),
      patientId: uuidv7(),
      doctorId: uuidv7(),
      start: new Date(end.getTime() - minutes * MINUTE),
      end,
      status,
      reason: null,
      cancellationReason: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    await db().insertInto('appointments').values(row).execute();
    return row.id;
  }

  const statusOf = async (id: string) =>
    db()
      .selectFrom('appointments')
      .select(['status', 'version'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  /** The no-show events in the outbox, per appointment id. */
  async function noShowEvents(): Promise<Map<string, number>> {
    const { rows } = await sql<{ key: string; payload: string }>`select key, payload from kit_outbox`.execute(
      db(),
    );
    const counts = new Map<string, number>();
    for (const row of rows) {
      if ((JSON.parse(row.payload) as { type: string }).type !== 'appointment.no_show') continue;
      counts.set(row.key, (counts.get(row.key) ?? 0) + 1);
    }
    return counts;
  }

  const job = (database: SqlDatabase, batchSize?: number) =>
    createNoShowJob({
      database,
      logger: silentLogger(),
      intervalMs: 60_000,
      graceMinutes,
      clock,
      ...(batchSize ? { batchSize } : {}),
    });

  beforeAll(async () => {
    const namespace = backend.newNamespace();
    first = await backend.open(namespace);
    await runMigrations(first, [eventKitMigrations, appointmentMigrations]);
    second = await backend.open(namespace); // a second connection (pool), like a second instance
  }, setupTimeoutMs);

  beforeEach(async () => {
    await db().deleteFrom('appointments').execute();
    await sql`delete from kit_outbox`.execute(db());
  });

  afterAll(async () => {
    await backend.dispose();
  }, 60_000);

  describe(`no-show job on ${backend.name}`, () => {
    it('marks only BOOKED appointments that ended longer ago than the grace, each with one event', async () => {
      const due = await appointment('BOOKED', 60);
      const untouched: Array<[string, AppointmentStatus]> = [
        [await appointment('BOOKED', graceMinutes - 1), 'BOOKED'], // within the grace
        [await appointment('BOOKED', -10), 'BOOKED'], // in progress
        [await appointment('BOOKED', -24 * 60), 'BOOKED'], // tomorrow
        [await appointment('COMPLETED', 60), 'COMPLETED'],
        [await appointment('CANCELLED', 60), 'CANCELLED'],
        [await appointment('NO_SHOW', 120), 'NO_SHOW'],
      ];
      expect(await job(first).runOnce()).toBe(1);
      expect(await statusOf(due)).toEqual({ status: 'NO_SHOW', version: 2 });
      for (const [id, status] of untouched) expect(await statusOf(id)).toEqual({ status, version: 1 });
      expect(await noShowEvents()).toEqual(new Map([[due, 1]]));
      expect(await job(first).runOnce()).toBe(0);
    });

    it('publishes the appointment as it now stands in the no-show event', async () => {
      const due = await appointment('BOOKED', 60);
      await job(first).runOnce();
      const { rows } = await sql<{
        payload: string;
      }>`select payload from kit_outbox where key = ${due}`.execute(db());
      const event = JSON.parse(rows[0]?.payload ?? '{}') as {
        subject: string;
        data: { appointment: unknown };
      };
      expect(event.subject).toBe(due);
      expect(event.data.appointment).toMatchObject({ id: due, status: 'NO_SHOW', version: 2 });
    });

    it('marks each appointment exactly once when two instances run at the same time', async () => {
      const ids: string[] = [];
      for (let index = 0; index < 120; index++) ids.push(await appointment('BOOKED', 30 + index));
      const a = job(first, 7);
      const b = job(second, 7);
      const marked = await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
      expect(marked.reduce((sum, count) => sum + count, 0)).toBe(ids.length);
      const events = await noShowEvents();
      expect(events.size).toBe(ids.length);
      expect([...events.values()].every((count) => count === 1)).toBe(true);
      const { rows } = await sql<{ status: string; version: number; count: number }>`
        select status, version, count(*) as count from appointments group by status, version`.execute(db());
      expect(rows.map((row) => ({ ...row, count: Number(row.count) }))).toEqual([
        { status: 'NO_SHOW', version: 2, count: ids.length },
      ]);
    });

    it('runs on its interval once started, until stopped', async () => {
      const due = await appointment('BOOKED', 60);
      const timed = createNoShowJob({
        database: first,
        logger: silentLogger(),
        intervalMs: 20,
        graceMinutes,
        clock,
      });
      timed.start();
      await waitFor(async () => (await statusOf(due)).status === 'NO_SHOW');
      await timed.stop();
      const later = await appointment('BOOKED', 60);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await statusOf(later)).status).toBe('BOOKED');
    });
  });
}
