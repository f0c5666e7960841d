import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@hsg/kit';
import { createHttpApp, type HttpApp, healthRoutes } from '@hsg/kit/http';
import type { HandledMessage, MessageHandler } from './handler.ts';

export interface Hl7HttpOptions {
  handler: MessageHandler;
  logger: Logger;
  /** The same bound as an MLLP frame (HL7_MAX_FRAME_BYTES). */
  maxBodyBytes: number;
  /** /ready: whether the MLLP listener is up. */
  ready: () => boolean;
  drainDelayMs?: number;
}

export const er7MediaType = 'x-application/hl7-v2+er7';
const mediaTypes = new Set([er7MediaType, 'text/plain']);
const HEAD_BYTES = 4096;

type Body = { ok: true; bytes: Buffer } | { ok: false; head: Buffer };

/** The body as bytes (the message's own MSH-18 says how to read them), or its head when it is too large. */
function readRawBody(request: IncomingMessage, limit: number): Promise<Body> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.resolve({ ok: false, head: Buffer.alloc(0) });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: Body | Error) => {
      if (settled) return;
      settled = true;
      request.off('data', onData);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.pause();
        settle({ ok: false, head: Buffer.concat(chunks).subarray(0, HEAD_BYTES) });
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => settle({ ok: true, bytes: Buffer.concat(chunks, size) }));
    request.once('error', (error) => settle(error));
    request.once('close', () => settle(new Error('request closed before its body was read')));
  });
}

function sendAck(response: ServerResponse, status: number, request: IncomingMessage, answer: HandledMessage) {
  const asked = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const type = mediaTypes.has(asked) ? asked : er7MediaType;
  const charset = answer.charset === 'latin1' ? 'iso-8859-1' : 'utf-8';
  response.writeHead(status, {
    'content-type': `${type}; charset=${charset}`,
    'content-length': answer.bytes.length,
    'cache-control': 'no-store',
  });
  response.end(answer.bytes);
}

/**
 * HL7 over HTTP beside MLLP: `POST /hl7` with the message as the body (x-application/hl7-v2+er7 or
 * text/plain) answers 200 with the same ACK MLLP would send, whatever its code; a body over the limit
 * answers 413 with an AR. Plus /health and /ready.
 */
export function createHl7HttpApp(options: Hl7HttpOptions): HttpApp {
  const { handler, logger, maxBodyBytes } = options;
  return createHttpApp(healthRoutes({ mllp: options.ready }), logger, {
    ...(options.drainDelayMs === undefined ? {} : { drainDelayMs: options.drainDelayMs }),
    routes: [
      {
        method: 'POST',
        path: '/hl7',
        async handler(request, response) {
          const body = await readRawBody(request, maxBodyBytes);
          if (!body.ok) {
            response.setHeader('connection', 'close');
            return sendAck(response, 413, request, handler.tooLarge(body.head, maxBodyBytes, 'http'));
          }
          sendAck(response, 200, request, await handler.handle(body.bytes, 'http'));
        },
      },
    ],
  });
}
