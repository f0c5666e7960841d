import { envFields, parseEnv } from '@hsg/kit';
import { z } from 'zod';
import { isTimeZone } from './timestamps.ts';

const processingIds = z
  .string()
  .default('P')
  .transform((text) =>
    text
      .split(',')
      .map((id) => id.trim().toUpperCase())
      .filter((id) => id !== ''),
  )
  .pipe(z.array(z.enum(['P', 'D', 'T'])).min(1, 'must name at least one of P, D, T'));

/** The bridge's environment (hl7-bridge/README.md; ADR 0022 and 0023 for the choices behind the defaults). */
export const bridgeEnvSchema = z.object({
  LOG_LEVEL: envFields.logLevel(),
  /** HTTP: POST /hl7, /health, /ready. */
  HOST: envFields.host(),
  PORT: envFields.port(4109),
  /** MLLP: 127.0.0.1 unless told (0.0.0.0 to take senders from other machines). */
  HL7_MLLP_HOST: envFields.host(),
  HL7_MLLP_PORT: envFields.port(2575),
  /** The router's GraphQL endpoint; login is /auth/login on the same origin. */
  GRAPH_URL: envFields.httpUrl().default('http://127.0.0.1:4000/graphql'),
  /** A user with the INTEGRATION role. */
  HL7_USERNAME: z.string().min(1).default('integration'),
  HL7_PASSWORD: z.string().min(1),
  GRAPH_TIMEOUT_MS: envFields.durationMs(10_000),
  /** Largest message (MLLP frame or HTTP body). */
  HL7_MAX_FRAME_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  HL7_IDLE_TIMEOUT_MS: envFields.durationMs(300_000),
  HL7_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** MSH-11 values taken: P (production), D (debugging), T (training), comma-separated. */
  HL7_PROCESSING_IDS: processingIds,
  /** The zone of HL7 date/times sent without an offset. */
  HL7_DEFAULT_TIME_ZONE: z
    .string()
    .default('UTC')
    .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin'),
  DRAIN_DELAY_MS: envFields.drainDelayMs(),
});

export type BridgeEnv = z.output<typeof bridgeEnvSchema>;

/** Every problem at once (EnvError); reads process.env only when no env is passed. No exit. */
export const parseBridgeEnv = (env: Record<string, string | undefined> = process.env): BridgeEnv =>
  parseEnv('hl7-bridge', bridgeEnvSchema, env);
