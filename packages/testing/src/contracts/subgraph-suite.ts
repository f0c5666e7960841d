import { silentLogger } from '@hsg/kit';
import type { EventTransport } from '@hsg/kit/events';
import {
  type AnySubgraph,
  type RunningSubgraph,
  type StartSubgraphOptions,
  startSubgraph,
} from '@hsg/kit/runtime';
import { afterAll, beforeAll } from '@jest/globals';
import { sharedTestKeys, type TestKeys } from '../auth.ts';
import type { EventBackend } from '../event-backends.ts';
import { setupTimeoutMs } from '../timeouts.ts';

/** Wraps every method of a store to count its calls by name (one request should make one per entity type). */
export function countingStore<Store extends object>(store: Store, calls: Map<string, number>): Store {
  return Object.fromEntries(
    Object.entries(store).map(([name, method]) => [
      name,
      typeof method === 'function'
        ? (...args: unknown[]) => {
            calls.set(name, (calls.get(name) ?? 0) + 1);
            return (method as (...args: unknown[]) => unknown).apply(store, args);
          }
        : method,
    ]),
  ) as Store;
}

export interface SubgraphUnderTest<D extends AnySubgraph> {
  readonly backend: EventBackend;
  /** The running subgraph (set once beforeAll ran). */
  readonly subgraph: RunningSubgraph<D>;
  readonly transport: EventTransport;
  readonly url: string;
  /** The keys the subgraph trusts: `keys.headersFor({ role })` is a caller's Authorization header. */
  readonly keys: TestKeys;
  /** Store calls so far, by method name. */
  calls(method: string): number;
}

/**
 * Starts `definition` through the kit's runtime on a fresh namespace of the backend before the suite's
 * tests, with a store that counts its calls, and stops it and the backend after: the set-up every
 * subgraph's API suite shares.
 */
export function useSubgraph<D extends AnySubgraph>(
  definition: D,
  makeBackend: () => EventBackend,
  options: Partial<Pick<StartSubgraphOptions<D>, 'clock' | 'settings' | 'logger'>> = {},
): SubgraphUnderTest<D> {
  const backend = makeBackend();
  const counts = new Map<string, number>();
  let running: RunningSubgraph<D> | undefined;
  let transport: EventTransport | undefined;
  let keys: TestKeys | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`${definition.name} is not started yet (use it inside a test)`);
    return value;
  };

  beforeAll(async () => {
    transport = await backend.transport();
    keys = await sharedTestKeys();
    running = await startSubgraph(definition, {
      auth: { jwks: keys.jwks },
      database: await backend.sql.open(backend.sql.newNamespace()),
      transport,
      logger: options.logger ?? silentLogger(),
      port: 0,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.settings ? { settings: options.settings } : {}),
      instrumentStore: (store) => countingStore(store, counts),
    });
  }, setupTimeoutMs);

  afterAll(async () => {
    await running?.stop();
    await backend.dispose();
  }, setupTimeoutMs);

  return {
    backend,
    get subgraph() {
      return started(running);
    },
    get transport() {
      return started(transport);
    },
    get url() {
      return started(running).url;
    },
    get keys() {
      return started(keys);
    },
    calls: (method) => counts.get(method) ?? 0,
  };
}
