import { createServer, type DropArgument, type Server, type Socket } from 'node:net';
import type { Logger } from '@hsg/kit';
import type { HandledMessage, MessageHandler } from './handler.ts';
import { CR, FS, type MllpEvent, MllpFramer, VT } from './mllp-framer.ts';

export interface MllpServerOptions {
  /** The interface to bind (not every interface unless asked: 0.0.0.0 or ::). */
  host: string;
  /** 0: any free port. */
  port: number;
  handler: MessageHandler;
  logger: Logger;
  /** A frame over this many bytes is answered AR and skipped (HL7_MAX_FRAME_BYTES). */
  maxFrameBytes: number;
  /** A connection with nothing sent and nothing in flight for this long is closed (HL7_IDLE_TIMEOUT_MS). */
  idleTimeoutMs: number;
  /** Connections beyond this are closed on arrival (HL7_MAX_CONNECTIONS). */
  maxConnections: number;
  /**
   * Frames read ahead of their ACKs on one connection before reading from it pauses (16); reading also
   * pauses while they hold twice maxFrameBytes, or while the sender does not read its ACKs.
   */
  maxPendingFrames?: number;
}

export interface MllpServer {
  readonly port: number;
  /** Connections open now. */
  readonly connections: number;
  /**
   * Stops accepting, lets every connection finish the messages it has sent (their ACKs go out), closes
   * idle ones at once, and after graceMs closes whatever is left (their senders send those again).
   */
  close(graceMs?: number): Promise<void>;
}

interface Connection {
  socket: Socket;
  /** Stop after the ACKs of what was received. */
  shutdown(): void;
}

const sizeOf = (event: MllpEvent) =>
  event.kind === 'frame' ? event.payload.length : event.kind === 'oversized' ? event.head.length : 0;

const framed = (bytes: Buffer) => Buffer.concat([Buffer.of(VT), bytes, Buffer.of(FS, CR)]);

/**
 * The MLLP listener (ADR 0023): many senders at once, each connection's messages handled one after the
 * other and acknowledged in order, each ACK written only once its message was handled (stored). A slow or
 * silent sender holds only its own connection; one that sends faster than it reads ACKs is paused. No
 * socket event or handler outcome can throw out of here.
 */
export function startMllpServer(options: MllpServerOptions): Promise<MllpServer> {
  const { handler, logger, maxFrameBytes, idleTimeoutMs } = options;
  const maxPending = options.maxPendingFrames ?? 16;
  const open = new Set<Connection>();
  let nextId = 0;

  function serve(socket: Socket): void {
    const id = ++nextId;
    const framer = new MllpFramer(maxFrameBytes);
    const queue: MllpEvent[] = [];
    /** Bytes of the frames in the queue: with the framer's own, what this connection holds. */
    let queuedBytes = 0;
    let busy = false;
    let stopping = false;
    /** The sender half-closed: what it sent is still answered, then the connection ends. */
    let ended = false;
    let frames = 0;
    let garbage = 0;
    let reportedGarbage = false;
    const remote = { connection: id, remote: `${socket.remoteAddress}:${socket.remotePort}` };
    socket.setNoDelay(true);

    const idle = setTimeout(function onIdle() {
      if (busy || queue.length > 0) return void idle.refresh();
      logger.info(
        { ...remote, idleMs: idleTimeoutMs, pendingBytes: framer.pendingBytes },
        'idle mllp connection closed',
      );
      socket.destroy();
    }, idleTimeoutMs);
    idle.unref();

    const flow = () => {
      if (socket.destroyed) return;
      const hold = queue.length >= maxPending || queuedBytes >= 2 * maxFrameBytes || socket.writableNeedDrain;
      if (hold && !socket.isPaused()) socket.pause();
      else if (!hold && socket.isPaused() && !stopping) socket.resume();
    };

    const answerOf = async (event: MllpEvent): Promise<HandledMessage | undefined> => {
      if (event.kind === 'frame') return handler.handle(event.payload, 'mllp');
      if (event.kind === 'oversized') return handler.tooLarge(event.head, maxFrameBytes, 'mllp');
      return undefined;
    };

    const pump = async () => {
      if (busy) return;
      busy = true;
      try {
        while (queue.length > 0 && !socket.destroyed) {
          const event = queue.shift() as MllpEvent;
          queuedBytes -= sizeOf(event);
          let answer: HandledMessage | undefined;
          try {
            answer = await answerOf(event);
          } catch (error) {
            // The handler never rejects; should it, the sender hears nothing and sends again.
            logger.error({ ...remote, err: error }, 'mllp handler failed');
          }
          if (answer && !socket.destroyed) {
            frames += 1;
            socket.write(framed(answer.bytes));
          }
          idle.refresh();
          flow();
        }
      } finally {
        busy = false;
      }
      if ((stopping || ended) && !socket.destroyed) socket.end();
    };

    const connection: Connection = {
      socket,
      shutdown() {
        stopping = true;
        socket.pause();
        if (!busy && queue.length === 0) socket.end();
      },
    };
    open.add(connection);
    logger.debug(remote, 'mllp connection opened');

    socket.on('data', (chunk: Buffer) => {
      if (stopping) return;
      idle.refresh();
      for (const event of framer.push(chunk)) {
        if (event.kind === 'garbage') {
          garbage += event.bytes;
          if (!reportedGarbage) {
            reportedGarbage = true;
            logger.warn({ ...remote, bytes: event.bytes }, 'skipped bytes outside mllp frames');
          }
        } else {
          queue.push(event);
          queuedBytes += sizeOf(event);
        }
      }
      flow();
      void pump();
    });
    socket.on('end', () => {
      ended = true;
      if (!busy && queue.length === 0) socket.end();
    });
    socket.on('drain', flow);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      logger.debug({ ...remote, code: error.code }, 'mllp connection error');
    });
    socket.on('close', () => {
      clearTimeout(idle);
      open.delete(connection);
      for (const event of framer.finish()) if (event.kind === 'garbage') garbage += event.bytes;
      logger.debug(
        { ...remote, frames, garbageBytes: garbage, unanswered: queue.length },
        'mllp connection closed',
      );
      queue.length = 0;
    });
  }

  // Half-open: a sender may send its message and shut its side, and still read the ACK.
  const server: Server = createServer({ allowHalfOpen: true }, serve);
  server.maxConnections = options.maxConnections;
  server.on('drop', (data?: DropArgument) => {
    logger.warn(
      { remote: `${data?.remoteAddress}:${data?.remotePort}`, max: options.maxConnections },
      'mllp connection refused: too many',
    );
  });

  return new Promise<MllpServer>((resolve, reject) => {
    // Fails at once on a taken port (no retrying forever, unlike @medplum/hl7's Hl7Server).
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off('error', reject);
      server.on('error', (error) => logger.error({ err: error }, 'mllp listener error'));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      let closed: Promise<void> | undefined;
      resolve({
        port,
        get connections() {
          return open.size;
        },
        close(graceMs = 5000) {
          if (closed) return closed;
          closed = new Promise<void>((done) => {
            const force = setTimeout(() => {
              for (const connection of open) connection.socket.destroy();
            }, graceMs);
            force.unref();
            server.close(() => {
              clearTimeout(force);
              done();
            });
            for (const connection of open) connection.shutdown();
          });
          return closed;
        },
      });
    });
  });
}
