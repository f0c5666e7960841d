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
});
