import { type Logger, silentLogger } from '@hsg/kit';
import { createMessageHandler, type MessageHandler } from './handler.ts';
import { createHl7HttpApp } from './http.ts';
import { startMllpServer } from './mllp-server.ts';
import type { LabResultsSink } from './sink.ts';

export type { AckCode } from './ack.ts';
export { decodeMessage } from './charset.ts';
export { type Er7Message, parseEr7, type Segment } from './er7.ts';
export { createGraphLabResultsSink, type GraphSinkOptions, recordLabResultsMutation } from './graph-sink.ts';
export {
  createMessageHandler,
  type HandledMessage,
  type MessageHandler,
  type MessageHandlerOptions,
  type Transport,
} from './handler.ts';
export type * from './lab-results.ts';
export { graphLimits } from './lab-results.ts';
export { type MappedCall, type MappingOutcome, type MappingSettings, mapOruR01 } from './mapping.ts';
export {
  createMemoryLabResultsSink,
  type MemoryLabResultsSink,
  type MemorySinkOptions,
} from './memory-sink.ts';
export { connectMllp, frameOf, type MllpClient, type MllpClientOptions } from './mllp-client.ts';
export { type MllpEvent, MllpFramer } from './mllp-framer.ts';
export { type MllpServer, type MllpServerOptions, startMllpServer } from './mllp-server.ts';
export { type MessageHeader, readHeader, supportedVersions } from './oru.ts';
export { type ErrorCode, errorCodes, type Location, type Problem } from './problems.ts';
export { type ReadMessage, type ReadSettings, readMessage } from './read-message.ts';
export {
  classifySinkFailure,
  contentFailure,
  type LabResultsSink,
  LabResultsSinkError,
  type SinkFailureDetails,
  type SinkFailureKind,
  unavailableFailure,
} from './sink.ts';

export const bridgeDefaults = {
  mllpHost: '127.0.0.1',
  mllpPort: 2575,
  httpHost: '127.0.0.1',
  httpPort: 4109,
  maxFrameBytes: 1024 * 1024,
  idleTimeoutMs: 300_000,
  maxConnections: 1000,
  processingIds: ['P'] as readonly string[],
  defaultTimeZone: 'UTC',
} as const;

export interface Hl7BridgeOptions {
  /** Where results go: the graph (createGraphLabResultsSink) or an in-memory sink. */
  sink: LabResultsSink;
  logger?: Logger;
  /** MLLP listener (HL7_MLLP_HOST, HL7_MLLP_PORT): 127.0.0.1:2575 unless told; port 0 picks a free one. */
  mllpHost?: string;
  mllpPort?: number;
  /** POST /hl7, /health, /ready (HOST, PORT): 127.0.0.1:4109 unless told; false: no HTTP listener. */
  httpHost?: string;
  httpPort?: number | false;
  /** Largest message, MLLP frame or HTTP body, in bytes (HL7_MAX_FRAME_BYTES, 1 MiB). */
  maxFrameBytes?: number;
  /** An MLLP connection idle this long is closed (HL7_IDLE_TIMEOUT_MS, 5 min). */
  idleTimeoutMs?: number;
  /** MLLP connections at once (HL7_MAX_CONNECTIONS, 1000). */
  maxConnections?: number;
  /** MSH-11 values taken (HL7_PROCESSING_IDS, P). */
  processingIds?: readonly string[];
  /** Zone of date/times without an offset (HL7_DEFAULT_TIME_ZONE, UTC). */
  defaultTimeZone?: string;
  /** Results per recordLabResults call (100, the graph's most). */
  maxResultsPerCall?: number;
  /** After close(), how long /ready answers 503 before the HTTP port closes (DRAIN_DELAY_MS). */
  drainDelayMs?: number;
  /** Tests: the ACK's MSH-7 and MSH-10. */
  clock?: () => Date;
  nextControlId?: () => string;
}

export interface Hl7Bridge {
  readonly mllpPort: number;
  /** undefined without an HTTP listener. */
  readonly httpPort: number | undefined;
  readonly handler: MessageHandler;
  /** MLLP connections open now. */
  readonly connections: number;
  /** Stops both listeners; messages received are still answered (up to graceMs). */
  close(graceMs?: number): Promise<void>;
}

/**
 * The HL7 v2 bridge: ORU^R01 over MLLP and POST /hl7 → recordLabResults through the sink → the ACK,
 * answered only after the sink resolved. Fails at once when a port is taken.
 */
export async function startHl7Bridge(options: Hl7BridgeOptions): Promise<Hl7Bridge> {
  const logger = options.logger ?? silentLogger();
  const maxFrameBytes = options.maxFrameBytes ?? bridgeDefaults.maxFrameBytes;
  const handler = createMessageHandler({
    sink: options.sink,
    logger,
    processingIds: options.processingIds ?? bridgeDefaults.processingIds,
    defaultTimeZone: options.defaultTimeZone ?? bridgeDefaults.defaultTimeZone,
    ...(options.maxResultsPerCall === undefined ? {} : { maxResultsPerCall: options.maxResultsPerCall }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.nextControlId ? { nextControlId: options.nextControlId } : {}),
  });
  const mllp = await startMllpServer({
    host: options.mllpHost ?? bridgeDefaults.mllpHost,
    port: options.mllpPort ?? bridgeDefaults.mllpPort,
    handler,
    logger,
    maxFrameBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? bridgeDefaults.idleTimeoutMs,
    maxConnections: options.maxConnections ?? bridgeDefaults.maxConnections,
  });
  let closing = false;
  const http =
    options.httpPort === false
      ? undefined
      : createHl7HttpApp({
          handler,
          logger,
          maxBodyBytes: maxFrameBytes,
          ready: () => !closing,
          ...(options.drainDelayMs === undefined ? {} : { drainDelayMs: options.drainDelayMs }),
        });
  let httpPort: number | undefined;
  if (http && options.httpPort !== false) {
    try {
      httpPort = await http.listen(
        options.httpPort ?? bridgeDefaults.httpPort,
        options.httpHost ?? bridgeDefaults.httpHost,
      );
    } catch (error) {
      await mllp.close(0);
      throw error;
    }
  }
  let closed: Promise<void> | undefined;
  return {
    mllpPort: mllp.port,
    httpPort,
    handler,
    get connections() {
      return mllp.connections;
    },
    close(graceMs = 5000) {
      closing = true;
      closed ??= Promise.all([http?.close(graceMs), mllp.close(graceMs)]).then(() => undefined);
      return closed;
    },
  };
}
