const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value can be an entity id here (every subgraph mints UUIDs); anything else is simply absent. */
export const isUuid = (value: unknown): value is string =>
  typeof value === 'string' && uuidPattern.test(value);

const uuidV7Pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * The creation time (ms since epoch) of a UUIDv7 (its first 48 bits), undefined for any other string.
 * Every subgraph mints UUIDv7 ids, so an id says when it was created without asking its owner.
 */
export function uuidV7Time(id: string): number | undefined {
  if (!uuidV7Pattern.test(id)) return undefined;
  return Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}
