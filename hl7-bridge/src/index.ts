import { createLogger, onShutdown } from '@hsg/kit';
import { createGraphLabResultsSink, startHl7Bridge } from './bridge.ts';
import { parseBridgeEnv } from './env.ts';

// The bridge as its own process, configured by the environment.
const env = parseBridgeEnv();
const logger = createLogger({ service: 'hl7-bridge', level: env.LOG_LEVEL });
const bridge = await startHl7Bridge({
  sink: createGraphLabResultsSink({
    graphUrl: env.GRAPH_URL,
    username: env.HL7_USERNAME,
    password: env.HL7_PASSWORD,
    timeoutMs: env.GRAPH_TIMEOUT_MS,
    logger,
  }),
  logger,
  mllpHost: env.HL7_MLLP_HOST,
  mllpPort: env.HL7_MLLP_PORT,
  httpHost: env.HOST,
  httpPort: env.PORT,
  maxFrameBytes: env.HL7_MAX_FRAME_BYTES,
  idleTimeoutMs: env.HL7_IDLE_TIMEOUT_MS,
  maxConnections: env.HL7_MAX_CONNECTIONS,
  processingIds: env.HL7_PROCESSING_IDS,
  defaultTimeZone: env.HL7_DEFAULT_TIME_ZONE,
  drainDelayMs: env.DRAIN_DELAY_MS,
});
logger.info(
  {
    mllp: `${env.HL7_MLLP_HOST}:${bridge.mllpPort}`,
    http: `http://${env.HOST}:${bridge.httpPort}/hl7`,
    graph: env.GRAPH_URL,
  },
  'hl7 bridge ready',
);

onShutdown(logger, () => bridge.close());
