import { badUserInput } from '../errors.ts';

/** `first` of a connection: 1..max, else BAD_USER_INPUT naming the argument. */
export function validPageSize(first: number, max = 100): number {
  if (!Number.isInteger(first) || first < 1 || first > max)
    throw badUserInput(`first must be between 1 and ${max}`, 'first');
  return first;
}

/**
 * Opaque keyset cursors: the sort key's parts as base64url JSON. `fromParts` rebuilds the key or says
 * undefined, and a cursor this API did not issue is BAD_USER_INPUT on `after`.
 */
export function cursorCodec<Cursor>(
  toParts: (cursor: Cursor) => readonly unknown[],
  fromParts: (parts: readonly unknown[]) => Cursor | undefined,
) {
  return {
    encode: (cursor: Cursor): string => Buffer.from(JSON.stringify(toParts(cursor))).toString('base64url'),
    decode(value: string): Cursor {
      try {
        const parts: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
        const cursor = Array.isArray(parts) ? fromParts(parts) : undefined;
        if (cursor !== undefined) return cursor;
      } catch {
        // falls through to the error below
      }
      throw badUserInput('after is not a cursor returned by this API', 'after');
    },
  };
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/**
 * A Relay connection's PageInfo for a forward page (first/after). hasPreviousPage is true when the page
 * was asked for after a cursor: the item at that cursor comes before it (the spec lets a forward page say
 * so without counting).
 */
export function pageInfoOf(
  edges: ReadonlyArray<{ cursor: string }>,
  hasNextPage: boolean,
  after: string | null | undefined,
): PageInfo {
  return {
    hasNextPage,
    hasPreviousPage: typeof after === 'string' && after.length > 0,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges.at(-1)?.cursor ?? null,
  };
}
