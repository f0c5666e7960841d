import { appointmentNoShow } from '@hsg/contracts';
import { enqueueEvents } from '@hsg/kit/events';
import type { AnyKysely, SqlDatabase } from '@hsg/kit/sql';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { appointmentEvent } from './domain.ts';
import { type AppointmentRow, appointmentColumns, toAppointment } from './tables.ts';

export interface NoShowJobOptions {
  database: SqlDatabase;
  logger: Logger;
  /** How often the job runs. */
  intervalMs: number;
  /** An appointment still BOOKED this long after its end is a no-show. */
  graceMinutes: number;
  clock?: () => Date;
  /** Appointments marked per transaction. */
  batchSize?: number;
}

export interface NoShowJob {
  start(): void;
  /** Marks every due appointment now; resolves to how many this call marked. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Marks BOOKED appointments that ended more than `graceMinutes` ago as NO_SHOW, each with its event.
 * Safe with several instances running at once, without coordination: each batch locks its rows with
 * FOR UPDATE SKIP LOCKED, so concurrent runs take disjoint rows, and a row another run already marked no
 * longer matches `status = 'BOOKED'` when re-checked under the lock. Row, status and event commit together.
 */
export function createNoShowJob(options: NoShowJobOptions): NoShowJob {
  const { database, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;

  async function markBatch(): Promise<number> {
    const now = clock();
    const cutoff = new Date(now.getTime() - options.graceMinutes * 60_000);
    const columns = sql.join(appointmentColumns.map((name) => sql.ref(`appointments.${name}`)));
    return database.transaction(async (trx) => {
      const { rows } = await sql<AppointmentRow>`
        with due as materialized (
          select id from appointments
          where status = 'BOOKED' and end_at < ${cutoff}
          order by end_at, id
          limit ${batchSize}
          for update skip locked
        )
        update appointments set status = 'NO_SHOW', version = version + 1, updated_at = ${now}
        from due where appointments.id = due.id and appointments.status = 'BOOKED'
        returning ${columns}`.execute(trx);
      await enqueueEvents(
        database,
        trx as AnyKysely,
        rows.map((row) => appointmentEvent(appointmentNoShow, toAppointment(row), {})),
      );
      return rows.length;
    });
  }

  async function runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const marked = await markBatch();
      total += marked;
      if (marked < batchSize) return total;
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(async () => {
      running = runOnce();
      try {
        const marked = await running;
        if (marked > 0) logger.info({ marked }, 'appointments marked no-show');
      } catch (error) {
        logger.warn({ err: error }, 'no-show job failed; will run again');
      } finally {
        running = undefined;
        schedule();
      }
    }, options.intervalMs);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
