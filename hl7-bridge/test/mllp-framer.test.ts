import { describe, expect, it } from '@jest/globals';
import { type MllpEvent, MllpFramer } from '../src/bridge.ts';

const VT = '\x0b';
const END = '\x1c\r';
const bytes = (text: string) => Buffer.from(text, 'latin1');
const frames = (events: MllpEvent[]) =>
  events.filter((event) => event.kind === 'frame').map((event) => event.payload.toString('latin1'));
const garbage = (events: MllpEvent[]) =>
  events.reduce((sum, event) => sum + (event.kind === 'garbage' ? event.bytes : 0), 0);

function pushAll(framer: MllpFramer, chunks: Buffer[]): MllpEvent[] {
  return chunks.flatMap((chunk) => framer.push(chunk));
}

describe('MLLP framing', () => {
  it('reads one frame from one read', () => {
    expect(frames(new MllpFramer(1024).push(bytes(`${VT}MSH|a${END}`)))).toEqual(['MSH|a']);
  });

  it('reassembles a frame sent one byte at a time', () => {
    const framer = new MllpFramer(1024);
    const text = `${VT}MSH|^~\\&|one\rPID|1${END}`;
    const events = pushAll(
      framer,
      [...bytes(text)].map((byte) => Buffer.of(byte)),
    );
    expect(frames(events)).toEqual(['MSH|^~\\&|one\rPID|1']);
    expect(garbage(events)).toBe(0);
    expect(framer.inFrame).toBe(false);
  });

  it('reads several frames from one read, in order', () => {
    const events = new MllpFramer(1024).push(bytes(`${VT}one${END}${VT}two${END}${VT}three${END}`));
    expect(frames(events)).toEqual(['one', 'two', 'three']);
  });

  it('keeps a half frame until the rest arrives', () => {
    const framer = new MllpFramer(1024);
    expect(framer.push(bytes(`${VT}MSH|first half `))).toEqual([]);
    expect(framer.pendingBytes).toBe(15);
    expect(frames(framer.push(bytes(`second half${END}`)))).toEqual(['MSH|first half second half']);
  });

  it('skips and counts bytes outside frames', () => {
    const events = new MllpFramer(1024).push(bytes(`noise${VT}one${END}\r\n more${VT}two${END}`));
    expect(frames(events)).toEqual(['one', 'two']);
    expect(garbage(events)).toBe(5 + 7);
  });

  it('ends a frame at FS when the CR is missing, and at a CR that comes in the next read', () => {
    const framer = new MllpFramer(1024);
    const events = pushAll(framer, [bytes(`${VT}one\x1c`), bytes(`\r${VT}two\x1c${VT}three${END}`)]);
    expect(frames(events)).toEqual(['one', 'two', 'three']);
    expect(garbage(events)).toBe(0);
  });

  it('starts over at a VT inside a frame (the sender gave up on the first)', () => {
    const events = new MllpFramer(1024).push(bytes(`${VT}abandoned${VT}kept${END}`));
    expect(frames(events)).toEqual(['kept']);
    expect(garbage(events)).toBe(10);
  });

  it('reports a frame over the limit once, keeps its head, skips the rest and reads the next one', () => {
    const framer = new MllpFramer(64);
    const big = `MSH|^~\\&|big|${'x'.repeat(200)}`;
    const events = pushAll(framer, [
      bytes(`${VT}${big.slice(0, 100)}`),
      bytes(big.slice(100)),
      bytes(`${END}${VT}small${END}`),
    ]);
    const oversized = events.filter((event) => event.kind === 'oversized');
    expect(oversized).toHaveLength(1);
    expect(
      oversized[0]?.kind === 'oversized' && oversized[0].head.toString('latin1').startsWith('MSH|^~\\&|big|'),
    ).toBe(true);
    expect(frames(events)).toEqual(['small']);
  });

  it('reports an oversized frame that ends in the same read', () => {
    const events = new MllpFramer(8).push(bytes(`${VT}0123456789${END}${VT}ok${END}`));
    expect(events.map((event) => event.kind)).toEqual(['oversized', 'frame']);
  });

  it('takes a frame of exactly the limit', () => {
    expect(frames(new MllpFramer(5).push(bytes(`${VT}12345${END}`)))).toEqual(['12345']);
  });

  it('reports a half frame left at the end as skipped bytes', () => {
    const framer = new MllpFramer(1024);
    framer.push(bytes(`${VT}never finished`));
    expect(garbage(framer.finish())).toBe(15);
  });
});
