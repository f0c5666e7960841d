import {
  createMarkerInbox,
  type Delivery,
  eventKitMigrations,
  type Inbox,
  memoryInboxMarkers,
  type SqlUnit,
  sqlInbox,
} from '@hsg/kit/events';
import { runMigrations } from '@hsg/kit/sql';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { SqlBackend } from '../databases.ts';
import { temporaryMigrations } from '../migrations.ts';
import { uniqueName } from '../names.ts';
import { setupTimeoutMs } from '../timeouts.ts';

/** An inbox implementation under test, with the effect the contract applies written its way. */
export interface InboxBackend<Unit> {
  readonly name: string;
  /**
   * True when effect and record commit in one transaction, so a failed effect leaves none of its writes.
   * Without transactions (the marker inbox) a failed effect's completed writes stay; its idempotent
   * writes make the retry apply the effect exactly once all the same.
   */
  readonly atomic: boolean;
  /** True when its inboxes deliver several events as one unit (`deliverAll`), which the contract then checks. */
  readonly deliversTogether: boolean;
  /** A fresh store with the inbox's tables; two inboxes over it, like two processes. */
  open(): Promise<InboxStore<Unit>>;
  /** Removes everything the tests put in the backend. */
  dispose(): Promise<void>;
}

export interface InboxStore<Unit> {
  readonly inboxes: readonly [Inbox<Unit>, Inbox<Unit>];
  /** The effect: adds `amount` to `counter`, written as this inbox's handlers must write. */
  add(unit: Unit, counter: string, amount: number): Promise<void>;
  /** The counter's committed value. */
  total(counter: string): Promise<number>;
  /** Whether the inbox recorded the event as handled for the group. */
  recorded(delivery: Delivery): Promise<boolean>;
}

/** The SQL inbox on a SQL backend: effects are rows inserted in the inbox's transaction. */
export function sqlInboxBackend(makeSql: () => SqlBackend): () => InboxBackend<SqlUnit> {
  return () => {
    const backend = makeSql();
    return {
      name: `sql inbox on ${backend.name}`,
      atomic: true,
      deliversTogether: true,
      async open() {
        const namespace = backend.newNamespace();
        const first = await backend.open(namespace);
        const effects = await temporaryMigrations('inbox_effects', {
          '0001_effects.sql':
            backend.dialect === 'mysql'
              ? 'create table inbox_effects (counter varchar(100) not null, amount int not null);'
              : 'create table inbox_effects (counter text not null, amount int not null);',
        });
        await runMigrations(first, [eventKitMigrations, effects]);
        const second = await backend.open(namespace);
        return {
          inboxes: [sqlInbox(first), sqlInbox(second)],
          async add(trx, counter, amount) {
            await sql`insert into inbox_effects (counter, amount) values (${counter}, ${amount})`.execute(
              trx,
            );
          },
          async total(counter) {
            const { rows } = await sql<{ total: number | string | null }>`
              select sum(amount) as total from inbox_effects where counter = ${counter}`.execute(first.db);
            return Number(rows[0]?.total ?? 0);
          },
          async recorded({ groupId, eventId }) {
            const { rows } = await sql`select 1 as found from kit_processed_events
              where group_id = ${groupId} and event_id = ${eventId}`.execute(first.db);
            return rows.length === 1;
          },
        };
      },
      dispose: () => backend.dispose(),
    };
  };
}

/**
 * The marker inbox (no transactions) on in-memory markers and an in-memory document store: the shape a
 * MongoDB inbox takes. Each counter is one document; the effect is a single-document write made
 * idempotent by the delivery (`$inc` guarded by `applied: { $ne: key }`, with `$push` of the key).
 */
export function memoryInboxBackend(): InboxBackend<Delivery> {
  return {
    name: 'marker inbox on memory (no transactions)',
    atomic: false,
    deliversTogether: false,
    async open() {
      const markers = memoryInboxMarkers();
      const documents = new Map<string, { total: number; applied: Set<string> }>();
      const roundTrip = () => new Promise<void>((resolve) => setImmediate(resolve));
      const options = { claimMs: 5_000, recheckMs: 5 };
      return {
        inboxes: [createMarkerInbox(markers, options), createMarkerInbox(markers, options)],
        async add({ groupId, eventId }, counter, amount) {
          await roundTrip();
          // One atomic single-document update (nothing awaits between the check and the write).
          const document = documents.get(counter) ?? { total: 0, applied: new Set<string>() };
          documents.set(counter, document);
          const by = JSON.stringify([groupId, eventId]);
          if (document.applied.has(by)) return;
          document.total += amount;
          document.applied.add(by);
        },
        total: async (counter) => documents.get(counter)?.total ?? 0,
        recorded: async (delivery) => markers.peek(delivery)?.state === 'done',
      };
    },
    dispose: async () => {},
  };
}

/**
 * What every inbox must do for the idempotent consumer, on every implementation: the first delivery
 * applies the effect and records the event; a redelivery is recognised and not applied again; an effect
 * that throws leaves no record, so a retry applies it; concurrent deliveries of one event apply it once;
 * consumer groups are independent.
 */
export function describeInboxContract<Unit>(makeBackend: () => InboxBackend<Unit>): void {
  const backend = makeBackend();
  let store: InboxStore<Unit>;
  const newDelivery = (groupId = uniqueName('group')): Delivery => ({
    groupId,
    eventId: uniqueName('event'),
  });

  /** An effect that adds `amount` to `counter` and counts its calls. */
  function adding(counter: string, amount: number) {
    const effect = async (unit: Unit) => {
      effect.calls += 1;
      await store.add(unit, counter, amount);
    };
    effect.calls = 0;
    return effect;
  }

  beforeAll(async () => {
    store = await backend.open();
  }, setupTimeoutMs);

  afterAll(async () => {
    await backend.dispose();
  }, 60_000);

  describe(`inbox contract: ${backend.name}`, () => {
    it('applies the effect on the first delivery and records the event', async () => {
      const delivery = newDelivery();
      const counter = uniqueName('first');
      const effect = adding(counter, 5);
      expect(await store.recorded(delivery)).toBe(false);
      expect(await store.inboxes[0].deliver(delivery, effect)).toBe('applied');
      expect(effect.calls).toBe(1);
      expect(await store.total(counter)).toBe(5);
      expect(await store.recorded(delivery)).toBe(true);
    });

    it('recognises a redelivery, on any instance, and does not apply the effect again', async () => {
      const delivery = newDelivery();
      const counter = uniqueName('redelivered');
      const effect = adding(counter, 5);
      expect(await store.inboxes[0].deliver(delivery, effect)).toBe('applied');
      expect(await store.inboxes[0].deliver(delivery, effect)).toBe('duplicate');
      expect(await store.inboxes[1].deliver(delivery, effect)).toBe('duplicate');
      expect(effect.calls).toBe(1);
      expect(await store.total(counter)).toBe(5);
    });

    it('leaves no record when the effect throws, so a retry applies it (exactly once)', async () => {
      const delivery = newDelivery();
      const counter = uniqueName('failed');
      const failing = async (unit: Unit) => {
        await store.add(unit, counter, 5); // written, then the handler fails
        throw new Error('handler failed');
      };
      await expect(store.inboxes[0].deliver(delivery, failing)).rejects.toThrow('handler failed');
      expect(await store.recorded(delivery)).toBe(false);
      if (backend.atomic) expect(await store.total(counter)).toBe(0); // rolled back with the record

      const retry = adding(counter, 5);
      expect(await store.inboxes[1].deliver(delivery, retry)).toBe('applied');
      expect(retry.calls).toBe(1);
      expect(await store.total(counter)).toBe(5);
      expect(await store.recorded(delivery)).toBe(true);
      expect(await store.inboxes[0].deliver(delivery, retry)).toBe('duplicate');
    });

    it('applies an event once when it is delivered concurrently, on two instances', async () => {
      const delivery = newDelivery();
      const counter = uniqueName('concurrent');
      const effect = adding(counter, 5);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          store.inboxes[index % 2 === 0 ? 0 : 1].deliver(delivery, effect),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'applied')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(7);
      expect(await store.total(counter)).toBe(5);
      expect(await store.recorded(delivery)).toBe(true);
    });

    it('lets one of the concurrent deliveries apply it when the one applying it fails', async () => {
      const delivery = newDelivery();
      const counter = uniqueName('concurrent_failure');
      let failed = false;
      const effect = async (unit: Unit) => {
        if (!failed) {
          failed = true;
          await new Promise((resolve) => setTimeout(resolve, 50)); // the others queue up meanwhile
          throw new Error('first attempt failed');
        }
        await store.add(unit, counter, 5);
      };
      const settled = await Promise.allSettled(
        Array.from({ length: 6 }, (_, index) =>
          store.inboxes[index % 2 === 0 ? 0 : 1].deliver(delivery, effect),
        ),
      );
      const outcomes = settled.map((result) =>
        result.status === 'fulfilled' ? result.value : (result.reason as Error).message,
      );
      expect(outcomes.filter((outcome) => outcome === 'first attempt failed')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'applied')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(4);
      expect(await store.total(counter)).toBe(5);
      expect(await store.recorded(delivery)).toBe(true);
    });

    it('keeps consumer groups independent: each applies the event once, and records only its own', async () => {
      const eventId = uniqueName('event');
      const [first, second, third] = [1, 2, 3].map(() => ({ groupId: uniqueName('group'), eventId }));
      const counter = uniqueName('groups');
      const effect = adding(counter, 5);
      if (!first || !second || !third) throw new Error('three groups');
      expect(await store.inboxes[0].deliver(first, effect)).toBe('applied');
      expect(await store.recorded(second)).toBe(false);
      expect(await store.inboxes[1].deliver(second, effect)).toBe('applied');
      await expect(
        store.inboxes[0].deliver(third, async () => {
          throw new Error('third group failed');
        }),
      ).rejects.toThrow('third group failed');
      expect(await store.inboxes[0].deliver(first, effect)).toBe('duplicate');
      expect(await store.inboxes[1].deliver(second, effect)).toBe('duplicate');
      expect(effect.calls).toBe(2);
      expect(await store.total(counter)).toBe(10);
      expect([
        await store.recorded(first),
        await store.recorded(second),
        await store.recorded(third),
      ]).toEqual([true, true, false]);
    });

    it(`${backend.deliversTogether ? 'delivers' : 'does not claim to deliver'} several events as one unit`, () => {
      expect(typeof store.inboxes[0].deliverAll).toBe(backend.deliversTogether ? 'function' : 'undefined');
    });
    if (backend.deliversTogether) describeDeliverAll();
  });

  /** `deliverAll`: in order, one unit, a duplicate (also within the same call) applied once, all or none. */
  function describeDeliverAll() {
    const together = (
      ...deliveries: Array<{ delivery: Delivery; effect: (unit: Unit) => Promise<void> }>
    ) => {
      const deliverAll = store.inboxes[0].deliverAll;
      if (!deliverAll) throw new Error('this inbox has no deliverAll');
      return deliverAll(deliveries);
    };

    it('delivers several events in order as one unit, a redelivery among them once', async () => {
      const groupId = uniqueName('group');
      const [a, b] = [newDelivery(groupId), newDelivery(groupId)] as [Delivery, Delivery];
      const counter = uniqueName('together');
      const order: string[] = [];
      const units = new Set<Unit>();
      const effect = (name: string, amount: number) => async (unit: Unit) => {
        order.push(name);
        units.add(unit);
        await store.add(unit, counter, amount);
      };
      expect(await store.inboxes[1].deliver(b, effect('b before', 100))).toBe('applied');
      const outcomes = await together(
        { delivery: a, effect: effect('a', 1) },
        { delivery: b, effect: effect('b again', 100) },
        { delivery: a, effect: effect('a again', 1) },
      );
      expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate']);
      expect(order).toEqual(['b before', 'a']);
      expect(units.size).toBe(2); // the earlier delivery's unit, and this call's one
      expect(await store.total(counter)).toBe(101);
      expect([await store.recorded(a), await store.recorded(b)]).toEqual([true, true]);
    });

    it('applies none of them and records none when one effect throws', async () => {
      const [a, b] = [newDelivery(), newDelivery()] as [Delivery, Delivery];
      const counter = uniqueName('together_failed');
      await expect(
        together(
          { delivery: a, effect: adding(counter, 5) },
          {
            delivery: b,
            effect: async () => {
              throw new Error('second failed');
            },
          },
        ),
      ).rejects.toThrow('second failed');
      expect([await store.recorded(a), await store.recorded(b)]).toEqual([false, false]);
      expect(await store.total(counter)).toBe(0);
      expect(await together({ delivery: a, effect: adding(counter, 5) })).toEqual(['applied']);
      expect(await store.total(counter)).toBe(5);
    });
  }
}
