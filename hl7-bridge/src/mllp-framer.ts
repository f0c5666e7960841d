/** MLLP framing: VT (0x0B) message FS (0x1C) CR (0x0D). */
export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

export type MllpEvent =
  /** A whole message (without its framing bytes). */
  | { kind: 'frame'; payload: Buffer }
  /** A frame passed the size limit: the rest of it is skipped; `head` holds its first bytes (its MSH). */
  | { kind: 'oversized'; head: Buffer }
  /** Bytes outside any frame (or a frame abandoned by a new VT) were skipped. */
  | { kind: 'garbage'; bytes: number };

/** How much of an oversized frame is kept: far more than an MSH needs. */
const HEAD_BYTES = 4096;

/**
 * Reassembles frames across reads, any number per read, each byte looked at once. Robust to what real
 * senders do: bytes between frames are skipped (and counted), a VT inside a frame starts a new one (the
 * sender gave up on the old one: VT never occurs in HL7 text), FS ends a frame with or without the CR
 * after it, and a frame over `maxFrameBytes` is reported once and skipped to its end without keeping
 * more than its head, so memory per connection stays bounded.
 */
export class MllpFramer {
  readonly maxFrameBytes: number;
  private state: 'outside' | 'inside' | 'skipping' = 'outside';
  /** The frame so far: bytes copied into a buffer that doubles as needed. */
  private buffer: Buffer | undefined;
  private size = 0;
  /** A frame just ended with FS: a CR right after it belongs to the framing. */
  private afterFs = false;
  private garbage = 0;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes of an unfinished frame held (0 between frames). */
  get pendingBytes(): number {
    return this.state === 'inside' ? this.size : 0;
  }

  /** Whether a frame has begun and not ended. */
  get inFrame(): boolean {
    return this.state !== 'outside';
  }

  push(chunk: Buffer): MllpEvent[] {
    const events: MllpEvent[] = [];
    let position = 0;
    while (position < chunk.length) {
      if (this.afterFs) {
        this.afterFs = false;
        if (chunk[position] === CR) {
          position += 1;
          continue;
        }
      }
      if (this.state === 'outside') {
        const start = chunk.indexOf(VT, position);
        if (start < 0) {
          this.garbage += chunk.length - position;
          break;
        }
        this.garbage += start - position;
        this.flushGarbage(events);
        this.begin();
        position = start + 1;
        continue;
      }
      const end = chunk.indexOf(FS, position);
      const stop = end < 0 ? chunk.length : end;
      const restart = chunk.indexOf(VT, position);
      if (restart >= 0 && restart < stop) {
        // A new frame began before this one ended: this one is abandoned.
        this.garbage += (this.state === 'inside' ? this.size : 0) + (restart - position) + 1;
        this.flushGarbage(events);
        this.begin();
        position = restart + 1;
        continue;
      }
      if (this.state === 'inside') {
        if (this.size + (stop - position) > this.maxFrameBytes) {
          this.append(chunk, position, Math.min(stop, position + Math.max(0, HEAD_BYTES - this.size)));
          events.push({ kind: 'oversized', head: this.take() });
          if (end >= 0) this.end();
          else this.state = 'skipping';
        } else if (end >= 0 && this.size === 0) {
          // The common case: the whole frame in this read, no copy.
          events.push({ kind: 'frame', payload: chunk.subarray(position, end) });
          this.end();
        } else {
          this.append(chunk, position, stop);
          if (end >= 0) {
            events.push({ kind: 'frame', payload: this.take() });
            this.end();
          }
        }
      } else if (end >= 0) {
        this.end();
      }
      position = end < 0 ? chunk.length : end + 1;
    }
    return events;
  }

  /** What is left when the connection closes: skipped bytes not yet reported. */
  finish(): MllpEvent[] {
    const events: MllpEvent[] = [];
    if (this.state === 'inside') this.garbage += this.size + 1;
    this.state = 'outside';
    this.buffer = undefined;
    this.size = 0;
    this.flushGarbage(events);
    return events;
  }

  private begin(): void {
    this.state = 'inside';
    this.buffer = undefined;
    this.size = 0;
  }

  private end(): void {
    this.state = 'outside';
    this.buffer = undefined;
    this.size = 0;
    this.afterFs = true;
  }

  private append(chunk: Buffer, from: number, to: number): void {
    const length = to - from;
    if (length <= 0) return;
    const needed = this.size + length;
    if (!this.buffer || this.buffer.length < needed) {
      const capacity = Math.min(
        Math.max(needed, (this.buffer?.length ?? 0) * 2, 1024),
        Math.max(needed, this.maxFrameBytes),
      );
      const grown = Buffer.allocUnsafe(capacity);
      if (this.buffer) this.buffer.copy(grown, 0, 0, this.size);
      this.buffer = grown;
    }
    chunk.copy(this.buffer, this.size, from, to);
    this.size = needed;
  }

  private take(): Buffer {
    const payload = this.buffer ? this.buffer.subarray(0, this.size) : Buffer.alloc(0);
    this.buffer = undefined;
    this.size = 0;
    return payload;
  }

  private flushGarbage(events: MllpEvent[]): void {
    if (this.garbage > 0) events.push({ kind: 'garbage', bytes: this.garbage });
    this.garbage = 0;
  }
}
