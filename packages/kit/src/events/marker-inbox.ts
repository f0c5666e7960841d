import { randomUUID } from 'node:crypto';
import { pause } from '../retry.ts';
import { type Delivery, deliveryKey, type Inbox, type InboxOutcome } from './inbox.ts';

/** A delivery's claim on an event: `owner` is applying it and may be presumed gone after `until` (epoch ms). */
export interface Claim {
  readonly owner: string;
  readonly until: number;
}

/** The per-(group, event) marker: claimed while an effect is in progress, done once it completed. */
export type InboxMarker = ({ state: 'claimed' } & Claim) | { state: 'done' };

/**
 * What an inbox needs from a store without multi-document transactions: single-document atomic
 * operations on one marker per (group, event id). On MongoDB that is one collection keyed by
 * `_id: { group, event }`: `claim` is insertOne (on a duplicate key, findOne); `takeOver` is updateOne
 * with the stale owner and until in the filter; `complete` is updateOne with upsert setting
 * `state: 'done'`; `release` is deleteOne filtered by the owner and `state: 'claimed'`.
 */
export interface InboxMarkers {
  /** Inserts `claim` unless a marker exists; returns the marker that was there (undefined: inserted). */
  claim(delivery: Delivery, claim: Claim): Promise<InboxMarker | undefined>;
  /** Replaces the claim `stale` by `claim`, only if the marker is still exactly `stale`. */
  takeOver(delivery: Delivery, stale: Claim, claim: Claim): Promise<boolean>;
  /** Marks the event done: written last, once the effect completed. */
  complete(delivery: Delivery): Promise<void>;
  /** Deletes the marker if it is still this claim (the effect failed), so a retry claims afresh. */
  release(delivery: Delivery, claim: Claim): Promise<void>;
}

export interface MarkerInboxOptions {
  /** How long a claim is honoured before another delivery presumes its owner gone and takes over. */
  claimMs?: number;
  /** How often a delivery that found another's live claim looks again. */
  recheckMs?: number;
  /**
   * Lets the consumer hand over a batch's events together (`deliverAll`): all are claimed at once, their
   * effects run at once, and all are marked done at once, so markers and effects that gather concurrent
   * calls make one bulk write per step instead of one write per event. Only for effects that commute
   * (counts, version-guarded upserts), since they run concurrently. If any fails, every claim of the batch
   * is released (the effects that ran are idempotent, as every effect here must be) and the error thrown.
   */
  together?: boolean;
}

/**
 * An inbox for stores with single-document atomicity only (MongoDB without transactions or sessions). The
 * effect and the record cannot commit together, so the unit is the delivery itself and the protocol is:
 * claim the marker (one atomic insert; a live claim of another delivery is waited for, an expired one
 * taken over), apply the effect, and write the marker `done` last. Handlers must therefore make every
 * write idempotent by the event id (e.g. `updateOne({ _id, applied: { $ne: eventId } }, { $inc, $push })`,
 * or a version-guarded upsert of a snapshot): if the process dies between an effect and its marker, the
 * redelivery applies the effect again and the writes absorb it. A failed effect releases its claim and
 * leaves its completed writes, which the retry's idempotent writes do not repeat.
 */
export function createMarkerInbox(markers: InboxMarkers, options: MarkerInboxOptions = {}): Inbox<Delivery> {
  const claimMs = options.claimMs ?? 30_000;
  const recheckMs = options.recheckMs ?? 25;
  /** This delivery's claim on the event (waiting out another's live claim), or 'done' when it was applied. */
  async function claimFor(delivery: Delivery): Promise<Claim | 'done'> {
    const owner = randomUUID();
    for (;;) {
      const mine = { owner, until: Date.now() + claimMs };
      const existing = await markers.claim(delivery, mine);
      if (!existing) return mine;
      if (existing.state === 'done') return 'done';
      const left = existing.until - Date.now();
      if (left <= 0) {
        if (await markers.takeOver(delivery, existing, mine)) return mine;
        continue; // someone else changed it first: look again
      }
      await pause(Math.min(recheckMs, left)); // another delivery is applying it: wait for its outcome
    }
  }

  const inbox: Inbox<Delivery> = {
    async deliver(delivery, effect): Promise<InboxOutcome> {
      const mine = await claimFor(delivery);
      if (mine === 'done') return 'duplicate';
      try {
        await effect(delivery);
      } catch (error) {
        await markers.release(delivery, mine).catch(() => {});
        throw error;
      }
      await markers.complete(delivery);
      return 'applied';
    },
  };
  if (!options.together) return inbox;
  inbox.deliverAll = async (deliveries) => {
    // An event twice in one batch: its first delivery applies it, the repeat is a duplicate.
    const seen = new Set<string>();
    const claims = await Promise.allSettled(
      deliveries.map(({ delivery }) => {
        const key = deliveryKey(delivery);
        if (seen.has(key)) return 'repeat' as const;
        seen.add(key);
        return claimFor(delivery);
      }),
    );
    const claimed = claims.flatMap((settled, index) => {
      if (settled.status !== 'fulfilled' || typeof settled.value !== 'object') return [];
      const { delivery, effect } = deliveries[index] as (typeof deliveries)[number];
      return [{ delivery, effect, claim: settled.value }];
    });
    /** Every claim of the batch let go (a done marker stays), then the step's error thrown. */
    const giveUp = async (error: unknown): Promise<never> => {
      await Promise.all(
        claimed.map(({ delivery, claim }) => markers.release(delivery, claim).catch(() => {})),
      );
      throw error;
    };
    const failedStep = (settled: PromiseSettledResult<unknown>[]) =>
      settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    const refused = failedStep(claims);
    if (refused) return giveUp(refused.reason);
    const failed = failedStep(
      await Promise.allSettled(claimed.map(({ delivery, effect }) => effect(delivery))),
    );
    if (failed) return giveUp(failed.reason);
    // A release leaves a marker already done alone: the rest are free at once for the one-by-one retry.
    const unfinished = failedStep(
      await Promise.allSettled(claimed.map(({ delivery }) => markers.complete(delivery))),
    );
    if (unfinished) return giveUp(unfinished.reason);
    return claims.map((settled) =>
      settled.status === 'fulfilled' && typeof settled.value === 'object' ? 'applied' : 'duplicate',
    );
  };
  return inbox;
}

/**
 * Markers in memory, with the same single-document atomicity a document store gives (each operation is
 * one atomic step; operations of concurrent deliveries interleave between them). For tests, and for
 * consumers whose effects live in the process.
 */
export function memoryInboxMarkers(): InboxMarkers & { peek(delivery: Delivery): InboxMarker | undefined } {
  const markers = new Map<string, InboxMarker>();

  const io = () => new Promise<void>((resolve) => setImmediate(resolve)); // a store round trip
  const isClaim = (marker: InboxMarker | undefined, claim: Claim) =>
    marker?.state === 'claimed' && marker.owner === claim.owner && marker.until === claim.until;
  return {
    peek: (delivery) => markers.get(deliveryKey(delivery)),
    async claim(delivery, claim) {
      await io();
      const existing = markers.get(deliveryKey(delivery));
      if (existing) return existing;
      markers.set(deliveryKey(delivery), { state: 'claimed', ...claim });
      return undefined;
    },
    async takeOver(delivery, stale, claim) {
      await io();
      if (!isClaim(markers.get(deliveryKey(delivery)), stale)) return false;
      markers.set(deliveryKey(delivery), { state: 'claimed', ...claim });
      return true;
    },
    async complete(delivery) {
      await io();
      markers.set(deliveryKey(delivery), { state: 'done' });
    },
    async release(delivery, claim) {
      await io();
      if (isClaim(markers.get(deliveryKey(delivery)), claim)) markers.delete(deliveryKey(delivery));
    },
  };
}
