import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUniqueViolation, runMigrations, type SqlDatabase, violatedConstraint } from '@hsg/kit/sql';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { SqlBackend } from '../databases.ts';
import { setupTimeoutMs } from '../timeouts.ts';
import { waitFor } from '../wait.ts';

const thingsTable = {
  postgres: `create table things (id bigint primary key, label text not null unique, born date,
      seen_at timestamptz, doc jsonb, ok boolean not null default true);
    create table bookings (room int not null, during tstzrange not null,
      exclude using gist (room with =, during with &&));`,
  mysql: `create table things (id bigint primary key, label varchar(100) not null unique, born date,
      seen_at timestamp(3) null, doc json, ok boolean not null default true);`,
};

/** What every SQL driver behind the kit's seam must do, run against each implementation. */
export function describeSqlContract(makeBackend: () => SqlBackend): void {
  const backend = makeBackend();
  const postgres = backend.dialect === 'postgres';
  let database: SqlDatabase;
  let migrationsDir: string;
  const opened: SqlDatabase[] = [];
  const open = async (namespace: string) => {
    const db = await backend.open(namespace);
    opened.push(db);
    return db;
  };

  beforeAll(async () => {
    database = await open(backend.newNamespace());
    migrationsDir = await mkdtemp(join(tmpdir(), 'migrations-'));
    await writeFile(join(migrationsDir, '0001_things.sql'), thingsTable[backend.dialect]);
    await writeFile(
      join(migrationsDir, '0002_counter.sql'),
      'create table counter (n int not null);\ninsert into counter values (0);',
    );
    await runMigrations(database, [{ name: 'contract', dir: migrationsDir }]);
  }, setupTimeoutMs);

  afterAll(async () => {
    for (const db of opened) await db.close();
    await backend.dispose();
    await rm(migrationsDir, { recursive: true, force: true });
  }, setupTimeoutMs);

  describe(`SQL driver contract: ${backend.name}`, () => {
    it('decodes column types identically (bigint number, date text, timestamp Date, json object, boolean)', async () => {
      const seenAt = new Date('2026-03-29T01:30:00.123Z');
      await sql`insert into things (id, label, born, seen_at, doc)
        values (${9007199254740}, 'types', '1984-02-29', ${seenAt}, ${JSON.stringify({ a: [1, 'x'] })})`.execute(
        database.db,
      );
      const { rows } = await sql<Record<string, unknown>>`select * from things where label = 'types'`.execute(
        database.db,
      );
      expect(rows[0]).toEqual({
        id: 9007199254740,
        label: 'types',
        born: '1984-02-29',
        seen_at: seenAt,
        doc: { a: [1, 'x'] },
        ok: true,
      });
    });

    it('commits a transaction as a whole and rolls it back as a whole', async () => {
      await database.transaction(async (trx) => {
        await sql`insert into things (id, label) values (1, 'committed-a'), (2, 'committed-b')`.execute(trx);
      });
      await expect(
        database.transaction(async (trx) => {
          await sql`insert into things (id, label) values (3, 'rolled-back')`.execute(trx);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const { rows } = await sql<{
        label: string;
      }>`select label from things where id in (1, 2, 3) order by id`.execute(database.db);
      expect(rows.map((row) => row.label)).toEqual(['committed-a', 'committed-b']);
    });

    it('reports a unique violation recognisably, naming the constraint', async () => {
      const error = await sql`insert into things (id, label) values (10, 'committed-a')`
        .execute(database.db)
        .catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
      expect(violatedConstraint(error)).toMatch(/label/);
    });

    if (postgres) {
      it('enforces an exclusion constraint on time ranges (SQLSTATE 23P01)', async () => {
        await sql`insert into bookings values (1, tstzrange('2026-01-01 09:00Z', '2026-01-01 10:00Z'))`.execute(
          database.db,
        );
        await expect(
          sql`insert into bookings values (1, tstzrange('2026-01-01 09:30Z', '2026-01-01 10:30Z'))`.execute(
            database.db,
          ),
        ).rejects.toMatchObject({ code: '23P01' });
        await sql`insert into bookings values (2, tstzrange('2026-01-01 09:30Z', '2026-01-01 10:30Z'))`.execute(
          database.db,
        );
      });
    }

    it('keeps concurrent transactions isolated: 20 increments under row locks sum to 20', async () => {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          database.transaction(async (trx) => {
            const { rows } = await sql<{ n: number }>`select n from counter for update`.execute(trx);
            await sql`update counter set n = ${(rows[0]?.n ?? 0) + 1}`.execute(trx);
          }),
        ),
      );
      const { rows } = await sql<{ n: number }>`select n from counter`.execute(database.db);
      expect(rows[0]?.n).toBe(20);
    });

    it('delivers a notification after commit and never for a rolled-back transaction', async () => {
      const channel = `ch_${database.namespace}`;
      let received = 0;
      const unlisten = await database.listen(channel, () => {
        received += 1;
      });
      try {
        await expect(
          database.transaction(async (trx) => {
            await database.notify(trx, channel);
            expect(received).toBe(0); // not before the commit
            throw new Error('rollback');
          }),
        ).rejects.toThrow('rollback');
        await database.transaction((trx) => database.notify(trx, channel));
        await waitFor(() => received >= 1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(received).toBe(1);
      } finally {
        await unlisten();
      }
    });

    it('applies migrations once: a second run is a no-op', async () => {
      expect(await runMigrations(database, [{ name: 'contract', dir: migrationsDir }])).toEqual([]);
    });

    it('applies migrations from two connections at once, each file exactly once', async () => {
      const namespace = backend.newNamespace();
      const [first, second] = [await open(namespace), await open(namespace)];
      const results = await Promise.all([
        runMigrations(first, [{ name: 'contract', dir: migrationsDir }]),
        runMigrations(second, [{ name: 'contract', dir: migrationsDir }]),
      ]);
      expect(results.flat().sort()).toEqual(['contract:1_things', 'contract:2_counter']);
      const { rows } = await sql<{ n: number }>`select count(*) as n from counter`.execute(first.db);
      expect(Number(rows[0]?.n)).toBe(1);
    });

    it('refuses to run when an applied migration file was edited', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'migrations-edit-'));
      const target = await open(backend.newNamespace());
      await writeFile(join(dir, '0001_a.sql'), 'create table a (id int);');
      await runMigrations(target, [{ name: 'edit', dir }]);
      await writeFile(join(dir, '0001_a.sql'), 'create table a (id bigint);');
      await expect(runMigrations(target, [{ name: 'edit', dir }])).rejects.toThrow(/edit:1_a was changed/);
      await rm(dir, { recursive: true, force: true });
    });
  });
}
