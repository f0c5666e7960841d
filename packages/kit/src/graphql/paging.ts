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
