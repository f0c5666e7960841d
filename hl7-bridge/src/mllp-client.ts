import { connect, type Socket } from 'node:net';
import { charsetOf } from './charset.ts';
import { CR, FS, MllpFramer, VT } from './mllp-framer.ts';

export interface MllpClientOptions {
  host?: string;
  port: number;
  /** How long to wait for the connection and for each ACK. */
  timeoutMs?: number;
}

export interface MllpClient {
  readonly socket: Socket;
  /** Sends one message in an MLLP frame and resolves with its ACK (text); sends may overlap. */
  send(message: string | Buffer): Promise<string>;
  /** Writes bytes as they are (tests: split frames, garbage); pair with nextAck(). */
  write(bytes: Buffer): void;
  /** The next ACK to arrive (answers are matched to requests in order). */
  nextAck(): Promise<string>;
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export const frameOf = (message: string | Buffer): Buffer =>
  Buffer.concat([
    Buffer.of(VT),
    typeof message === 'string' ? Buffer.from(message, 'utf8') : message,
    Buffer.of(FS, CR),
  ]);

interface Waiter {
  resolve: (ack: string) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A small MLLP sender: one connection, ACKs read back in order (send.ts, tests, the benchmark). */
export function connectMllp(options: MllpClientOptions): Promise<MllpClient> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host ?? '127.0.0.1', port: options.port });
    socket.setNoDelay(true);
    const framer = new MllpFramer(64 * 1024 * 1024);
    const waiting: Waiter[] = [];
    const early: string[] = [];
    let failure: Error | undefined;
    const connectTimer = setTimeout(() => socket.destroy(new Error('MLLP connect timed out')), timeoutMs);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));

    const fail = (error: Error) => {
      failure ??= error;
      for (const waiter of waiting.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(failure);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.kind !== 'frame') continue;
        const ack = event.payload.toString(charsetOf(event.payload));
        const waiter = waiting.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.resolve(ack);
        } else {
          early.push(ack);
        }
      }
    });
    socket.on('error', (error) => {
      clearTimeout(connectTimer);
      fail(error);
      reject(error);
    });
    socket.on('close', () => fail(new Error('MLLP connection closed before the ACK arrived')));

    const nextAck = () => {
      const ready = early.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      if (failure) return Promise.reject(failure);
      return new Promise<string>((resolveAck, rejectAck) => {
        const waiter: Waiter = {
          resolve: resolveAck,
          reject: rejectAck,
          timer: setTimeout(() => {
            const index = waiting.indexOf(waiter);
            if (index >= 0) waiting.splice(index, 1);
            rejectAck(new Error(`No ACK within ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiting.push(waiter);
      });
    };

    socket.once('connect', () => {
      clearTimeout(connectTimer);
      resolve({
        socket,
        closed,
        write: (bytes) => {
          socket.write(bytes);
        },
        nextAck,
        send(message) {
          const ack = nextAck();
          socket.write(frameOf(message));
          return ack;
        },
        close() {
          if (socket.destroyed) return Promise.resolve();
          socket.end();
          const timer = setTimeout(() => socket.destroy(), 1000);
          return closed.then(() => clearTimeout(timer));
        },
      });
    });
  });
}
