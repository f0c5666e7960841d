import DataLoader from 'dataloader';
import { isUuid } from '../ids.ts';

/**
 * Batches every lookup by id of one request into one store call. Ids that cannot exist here (not UUIDs)
 * never reach the store; they, and ids not found, load as undefined.
 */
export function entityLoader<Entity extends { id: string }>(
  findByIds: (ids: string[]) => Promise<Entity[]>,
): DataLoader<string, Entity | undefined> {
  return new DataLoader(async (ids: readonly string[]) => {
    const found = await findByIds(ids.filter(isUuid).map((id) => id.toLowerCase()));
    const byId = new Map(found.map((entity) => [entity.id, entity]));
    return ids.map((id) => byId.get(id.toLowerCase()));
  });
}

/**
 * One request's loaders per distinct argument set (a page size, a filter): `memo(key, create)` answers the
 * loader made for that key, creating it on first use, so equal arguments share one batch.
 */
export function loaderMemo(): <T>(key: string, create: () => DataLoader<string, T>) => DataLoader<string, T> {
  const memo = new Map<string, DataLoader<string, unknown>>();
  return <T>(key: string, create: () => DataLoader<string, T>) => {
    let loader = memo.get(key) as DataLoader<string, T> | undefined;
    if (!loader) {
      loader = create();
      memo.set(key, loader as DataLoader<string, unknown>);
    }
    return loader;
  };
}
