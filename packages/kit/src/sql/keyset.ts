import type { SelectQueryBuilder } from 'kysely';
import type { NameCursor } from '../names.ts';
import type { SqlDialect } from './types.ts';

// biome-ignore lint/suspicious/noExplicitAny: the helpers take any table's query
type AnySelect<Row> = SelectQueryBuilder<any, any, Row>;

/**
 * One page of rows ordered by (sort_name, id), after a cursor: the name-ordered lists of patients and
 * doctors. Fetches one row more than asked to know whether another page follows. Postgres compares the
 * row value; MySQL only uses the (sort_name, id) index for the expanded form.
 */
export async function nameKeysetPage<Row extends { sort_name: string; id: string }>(
  query: AnySelect<Row>,
  first: number,
  after: NameCursor | undefined,
  dialect: SqlDialect,
): Promise<{ rows: Array<{ row: Row; cursor: NameCursor }>; hasNextPage: boolean }> {
  let page = query;
  if (after) {
    page = page.where((eb) =>
      dialect === 'postgres'
        ? eb(eb.refTuple('sort_name', 'id'), '>', eb.tuple(after.sortName, after.id))
        : eb.or([
            eb('sort_name', '>', after.sortName),
            eb.and([eb('sort_name', '=', after.sortName), eb('id', '>', after.id)]),
          ]),
    );
  }
  const rows = (await page
    .orderBy('sort_name')
    .orderBy('id')
    .limit(first + 1)
    .execute()) as Row[];
  return {
    rows: rows.slice(0, first).map((row) => ({ row, cursor: { sortName: row.sort_name, id: row.id } })),
    hasNextPage: rows.length > first,
  };
}

/** How many rows a filtered query matches. */
export async function countRows(query: AnySelect<unknown>): Promise<number> {
  const { count } = await query
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}
