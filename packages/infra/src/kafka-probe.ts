// A minimal Kafka protocol client: one Metadata request, to tell "port open" from "broker serving".
// (A KRaft broker binds its port early but answers requests only once it has joined the cluster.)
import net from 'node:net';

const METADATA_API_KEY = 3;
const METADATA_VERSION = 1; // non-flexible encoding; supported by every 1.x–3.x broker
const CLIENT_ID = 'infra-probe';

function metadataRequest(correlationId: number): Buffer {
  const clientId = Buffer.from(CLIENT_ID, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
  let at = body.writeInt16BE(METADATA_API_KEY, 0);
  at = body.writeInt16BE(METADATA_VERSION, at);
  at = body.writeInt32BE(correlationId, at);
  at = body.writeInt16BE(clientId.length, at);
  at += clientId.copy(body, at);
  body.writeInt32BE(-1, at); // topics: null = all topics (we only read the broker list)
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** Number of brokers in a Metadata v1 response (after the 4-byte size prefix). */
function brokerCount(frame: Buffer, correlationId: number): number {
  if (frame.readInt32BE(0) !== correlationId) throw new Error('Kafka probe: unexpected correlation id');
  return frame.readInt32BE(4);
}

/**
 * Sends a Metadata request to host:port and resolves with how many brokers the cluster reports, or
 * rejects on connection error, timeout or a malformed answer.
 */
export function kafkaBrokerCount(port: number, host = '127.0.0.1', timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const correlationId = Math.floor(Math.random() * 2 ** 31);
    const socket = net.connect({ port, host });
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined, count?: number): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(count ?? 0);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`Kafka probe: no answer within ${timeoutMs} ms`)));
    socket.once('error', (error) => finish(error));
    socket.once('connect', () => socket.write(metadataRequest(correlationId)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (received.length < 4 + size) return;
      try {
        finish(undefined, brokerCount(received.subarray(4, 4 + size), correlationId));
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.once('end', () => finish(new Error('Kafka probe: connection closed before an answer')));
  });
}

/** True when the broker on host:port answers Metadata with at least one live broker. */
export async function isKafkaServing(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    return (await kafkaBrokerCount(port, host)) > 0;
  } catch {
    return false;
  }
}
