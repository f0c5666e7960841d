import { setTimeout as sleep } from 'node:timers/promises';
import { type PrivatePostgres, startPrivatePostgres } from '@hsg/infra';
import { createLogger } from '@hsg/kit';
import { createPgDatabase, type PgDatabaseOptions, type SqlDatabase } from '@hsg/kit/sql';
import { setupTimeoutMs, uniqueName, waitFor } from '@hsg/testing';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import pg from 'pg';

// The database itself goes down here, so this test runs its own server rather than the shared one.
let server: PrivatePostgres;
const opened: SqlDatabase[] = [];

beforeAll(async () => {
  server = await startPrivatePostgres();
}, setupTimeoutMs);

afterAll(async () => {
  for (const database of opened) await database.close();
  await server?.destroy();
}, setupTimeoutMs);

/** A logger whose lines the test reads back. */
function capturedLogger() {
  const lines: { level: string; msg: string }[] = [];
  const logger = createLogger({
    service: 'pg-listen-test',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  const count = (msg: string) => lines.filter((line) => line.msg === msg).length;
  return { logger, lines, count };
}

/** A database on the private server; a fast reconnect unless the test wants the default backoff. */
async function open(
  options: { applicationName?: string; listenBackoff?: PgDatabaseOptions['listenBackoff'] | 'default' } = {},
) {
  const log = capturedLogger();
  const url = options.applicationName
    ? `${server.url}?application_name=${options.applicationName}`
    : server.url;
  const listenBackoff = options.listenBackoff ?? { initialMs: 20, maxMs: 200 };
  const database = await createPgDatabase({
    url,
    maxConnections: 2,
    logger: log.logger,
    ...(listenBackoff === 'default' ? {} : { listenBackoff }),
  });
  opened.push(database);
  return { database, ...log };
}

/** Sends a notification, ignoring failures while the pool finds its server again. */
async function tryNotify(database: SqlDatabase, channel: string): Promise<void> {
  await database.notify(database.db, channel).catch(() => {});
}

it('listens again after the server restarts, and wakes the subscriber for what it missed', async () => {
  // The default backoff (100 ms doubling to 5 s): the recovery time printed below is the real one.
  const { database, count } = await open({ listenBackoff: 'default' });
  const channel = uniqueName('restart');
  const arrivals: number[] = [];
  await database.listen(channel, () => arrivals.push(performance.now()));

  await database.notify(database.db, channel);
  await waitFor(() => arrivals.length === 1);

  await server.stop();
  await waitFor(() => count('listen connection lost; reconnecting') === 1);
  await sleep(500); // down for a while: the listener keeps retrying with growing delays
  await server.start();
  const upAt = performance.now();
  const before = arrivals.length;

  // A notification arrives only through a LISTEN session that is back; calls beyond the one wake-up per
  // restored session are notifications.
  const notified = () => arrivals.length - before - count('listen connection restored');
  const giveUpAt = upAt + 50_000; // a bound for the loop only; the test's timeout is the real one
  while (notified() < 1 && performance.now() < giveUpAt) {
    await tryNotify(database, channel);
    await sleep(20);
  }
  expect(notified()).toBeGreaterThanOrEqual(1);
  const restored = count('listen connection restored');
  expect(restored).toBeGreaterThanOrEqual(1);
  const firstNotification = arrivals[before + restored] ?? Number.NaN;
  const wokenAfterRestore = arrivals[before] ?? Number.NaN;
  process.stdout.write(
    `pg LISTEN recovered ${Math.round(firstNotification - upAt)} ms after the server was back ` +
      `(re-listened and woke the subscriber after ${Math.round(wokenAfterRestore - upAt)} ms)\n`,
  );

  // And it keeps working as before: one notification, one call.
  const settled = arrivals.length;
  await database.notify(database.db, channel);
  await waitFor(() => arrivals.length === settled + 1);
  await sleep(100);
  expect(arrivals.length).toBe(settled + 1);
}, 60_000);

it('re-listens to every channel and subscriber on the one session', async () => {
  const { database, count } = await open();
  const [first, second] = [uniqueName('multi'), uniqueName('multi')];
  const calls = { first: 0, second: 0, again: 0 };
  await database.listen(first, () => calls.first++);
  await database.listen(first, () => calls.again++);
  const unlistenSecond = await database.listen(second, () => calls.second++);

  await server.restart();
  await waitFor(() => count('listen connection restored') >= 1, 30_000);
  expect(calls).toEqual({ first: 1, second: 1, again: 1 }); // the one wake-up after re-listening

  await unlistenSecond();
  await database.notify(database.db, first);
  await database.notify(database.db, second);
  await waitFor(() => calls.first === 2 && calls.again === 2);
  await sleep(100);
  expect(calls).toEqual({ first: 2, second: 1, again: 2 });
}, 60_000);

it('does not reconnect once the database is closed, even while it was retrying', async () => {
  const applicationName = uniqueName('closed');
  const { database, lines, count } = await open({ applicationName });
  const unlisten = await database.listen(uniqueName('closed'), () => {});

  await server.stop();
  await waitFor(() => count('listen reconnect failed') >= 2); // retrying, a timer pending
  await database.close();
  const linesAtClose = lines.length;
  await server.start();
  await sleep(1_000); // five times the longest reconnect delay of this database

  expect(lines.slice(linesAtClose)).toEqual([]);
  const client = new pg.Client(server.url);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where application_name = $1',
      [applicationName],
    );
    expect(rows[0]?.n).toBe(0);
  } finally {
    await client.end();
  }
  await expect(unlisten()).resolves.toBeUndefined();
  await expect(database.listen(uniqueName('closed'), () => {})).rejects.toThrow('closed');
}, 60_000);
