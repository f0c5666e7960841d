import { createMarkerInbox, type Delivery, memoryInboxMarkers } from '@hsg/kit/events';
import { describe, expect, it } from '@jest/globals';

const delivery = (eventId: string): Delivery => ({ groupId: 'group', eventId });

/** What the contract suite cannot stage: claims left by a delivery that died, or one still running. */
describe('the marker inbox (no transactions)', () => {
  it('takes over a claim whose owner is presumed gone, and applies the effect', async () => {
    const markers = memoryInboxMarkers();
    await markers.claim(delivery('e1'), { owner: 'crashed', until: Date.now() - 1 });
    const inbox = createMarkerInbox(markers, { claimMs: 60_000 });
    let calls = 0;
    expect(await inbox.deliver(delivery('e1'), async () => void calls++)).toBe('applied');
    expect(calls).toBe(1);
    expect(markers.peek(delivery('e1'))).toEqual({ state: 'done' });
  });

  it('waits for a live claim of another delivery and answers duplicate once that one completes', async () => {
    const markers = memoryInboxMarkers();
    await markers.claim(delivery('e2'), { owner: 'running', until: Date.now() + 60_000 });
    const inbox = createMarkerInbox(markers, { recheckMs: 5 });
    let calls = 0;
    const waiting = inbox.deliver(delivery('e2'), async () => void calls++);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await markers.complete(delivery('e2'));
    expect(await waiting).toBe('duplicate');
    expect(calls).toBe(0);
  });

  it('applies it itself when the live claim is released (that effect failed)', async () => {
    const markers = memoryInboxMarkers();
    const running = { owner: 'running', until: Date.now() + 60_000 };
    await markers.claim(delivery('e3'), running);
    const inbox = createMarkerInbox(markers, { recheckMs: 5 });
    let calls = 0;
    const waiting = inbox.deliver(delivery('e3'), async () => void calls++);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await markers.release(delivery('e3'), running);
    expect(await waiting).toBe('applied');
    expect(calls).toBe(1);
  });

  it('a failed effect releases only its own claim', async () => {
    const markers = memoryInboxMarkers();
    await markers.release(delivery('e4'), { owner: 'someone', until: 0 }); // nothing there: no-op
    const inbox = createMarkerInbox(markers);
    await expect(
      inbox.deliver(delivery('e4'), async () => {
        await markers.takeOver(
          delivery('e4'),
          markers.peek(delivery('e4')) as { owner: string; until: number },
          { owner: 'other', until: Date.now() + 60_000 },
        );
        throw new Error('failed after another took over');
      }),
    ).rejects.toThrow('failed after another took over');
    expect(markers.peek(delivery('e4'))).toMatchObject({ state: 'claimed', owner: 'other' });
  });

  describe('delivering a batch together (effects that commute)', () => {
    const counting = (applied: string[]) => (event: string) => ({
      delivery: delivery(event),
      effect: async () => {
        applied.push(event);
      },
    });

    it('offers deliverAll only when asked', () => {
      expect(createMarkerInbox(memoryInboxMarkers()).deliverAll).toBeUndefined();
      expect(typeof createMarkerInbox(memoryInboxMarkers(), { together: true }).deliverAll).toBe('function');
    });

    it('claims, applies and completes every event at once; a done one and a repeat are duplicates', async () => {
      const markers = memoryInboxMarkers();
      const inbox = createMarkerInbox(markers, { together: true });
      const applied: string[] = [];
      const effect = counting(applied);
      expect(await inbox.deliver(delivery('b1'), async () => {})).toBe('applied');
      let running = 0;
      let most = 0;
      const overlapping = (event: string) => ({
        delivery: delivery(event),
        effect: async () => {
          most = Math.max(most, ++running);
          await new Promise((resolve) => setImmediate(resolve));
          running -= 1;
          applied.push(event);
        },
      });
      const outcomes = await inbox.deliverAll?.([
        overlapping('a1'),
        effect('b1'),
        overlapping('a2'),
        effect('a1'),
        overlapping('a3'),
      ]);
      expect(outcomes).toEqual(['applied', 'duplicate', 'applied', 'duplicate', 'applied']);
      expect(applied.sort()).toEqual(['a1', 'a2', 'a3']);
      expect(most).toBe(3); // at once, not one after another
      for (const event of ['a1', 'a2', 'a3'])
        expect(markers.peek(delivery(event))).toEqual({ state: 'done' });
    });

    it('releases every claim of the batch when one effect fails, so a retry applies each', async () => {
      const markers = memoryInboxMarkers();
      const inbox = createMarkerInbox(markers, { together: true });
      const applied: string[] = [];
      await expect(
        inbox.deliverAll?.([
          counting(applied)('c1'),
          {
            delivery: delivery('c2'),
            effect: async () => {
              throw new Error('store lost');
            },
          },
        ]),
      ).rejects.toThrow('store lost');
      expect([markers.peek(delivery('c1')), markers.peek(delivery('c2'))]).toEqual([undefined, undefined]);
      expect(await inbox.deliverAll?.([counting(applied)('c1'), counting(applied)('c2')])).toEqual([
        'applied',
        'applied',
      ]);
      expect(markers.peek(delivery('c2'))).toEqual({ state: 'done' });
    });

    it('releases the claims it took when claiming another fails', async () => {
      const markers = memoryInboxMarkers();
      const failing = {
        ...markers,
        claim: async (which: Delivery, claim: { owner: string; until: number }) => {
          if (which.eventId === 'd2') throw new Error('claim lost');
          return markers.claim(which, claim);
        },
      };
      const inbox = createMarkerInbox(failing, { together: true });
      const applied: string[] = [];
      await expect(inbox.deliverAll?.([counting(applied)('d1'), counting(applied)('d2')])).rejects.toThrow(
        'claim lost',
      );
      expect(applied).toEqual([]);
      expect(markers.peek(delivery('d1'))).toBeUndefined();
    });

    it('releases the claims not yet done when marking them done fails, so the retry need not wait them out', async () => {
      const markers = memoryInboxMarkers();
      const failing = {
        ...markers,
        complete: async (which: Delivery) => {
          if (which.eventId === 'f2') throw new Error('lost the connection');
          return markers.complete(which);
        },
      };
      const applied: string[] = [];
      await expect(
        createMarkerInbox(failing, { together: true }).deliverAll?.([
          counting(applied)('f1'),
          counting(applied)('f2'),
        ]),
      ).rejects.toThrow('lost the connection');
      expect([markers.peek(delivery('f1')), markers.peek(delivery('f2'))]).toEqual([
        { state: 'done' },
        undefined,
      ]);
      const retry = createMarkerInbox(markers, { claimMs: 60_000 });
      expect(await retry.deliver(delivery('f1'), async () => void applied.push('f1 again'))).toBe(
        'duplicate',
      );
      expect(await retry.deliver(delivery('f2'), async () => void applied.push('f2 again'))).toBe('applied');
      expect(applied.sort()).toEqual(['f1', 'f2', 'f2 again']);
    });
  });
});
