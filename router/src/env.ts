import { envFields, parseEnv } from '@hsg/kit';
import { limitEnvFields, limitsFromEnv, type OperationLimits, routerLimitDefaults } from '@hsg/kit/graphql';
import { supergraphPath } from '@hsg/schema';
import { z } from 'zod';

const subgraphUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' });

/** Per-subgraph URL override: SUBGRAPH_URL_PATIENT → subgraph "patient". */
const overridePrefix = 'SUBGRAPH_URL_';

const schema = z.object({
  PORT: envFields.port(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  NODE_ENV: envFields.nodeEnv(),
  LOG_LEVEL: envFields.logLevel(),
  SUPERGRAPH_PATH: z.string().min(1).default(supergraphPath),
  /** JSON map of subgraph name → URL, e.g. {"patient":"http://127.0.0.1:5101/graphql"}. */
  SUBGRAPH_URLS: z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined || text.trim() === '') return {};
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be a JSON object of name → URL' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), subgraphUrl())),
  /** Keep-alive connections per subgraph origin; requests beyond it queue instead of opening sockets. */
  SUBGRAPH_MAX_SOCKETS: z.coerce.number().int().min(1).max(4096).default(64),
  SUBGRAPH_TIMEOUT_MS: envFields.durationMs(30_000),
  /** Approximate size of the gateway's query-plan LRU cache. */
  DRAIN_DELAY_MS: envFields.drainDelayMs(),
  /** Larger request bodies answer 413 unread. */
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(100_000_000).default(262_144),
  /** Browser origins allowed by CORS, comma-separated (https://app.example,http://localhost:5173); none by default. */
  CORS_ORIGINS: envFields.origins(),
  QUERY_PLAN_CACHE_MIB: z.coerce.number().int().min(1).max(4096).default(30),
  /** Subscriptions read the domain events from here; without it, the router serves no subscriptions. */
  KAFKA_BROKERS: envFields.kafkaBrokers().optional(),
  KAFKA_TOPIC_PREFIX: envFields.kafkaTopicPrefix(),
  /** GRAPHQL_MAX_TOKENS, _DEPTH, _ALIASES, _ROOT_FIELDS, _DIRECTIVES, _COST. */
  ...limitEnvFields(routerLimitDefaults),
});

export type RouterEnv = Omit<z.output<typeof schema>, 'SUBGRAPH_URLS'> & {
  /** Subgraph URL overrides by subgraph name (SUBGRAPH_URLS, then SUBGRAPH_URL_<NAME> on top). */
  subgraphUrls: Record<string, string>;
  limits: OperationLimits;
};

export function parseRouterEnv(env: Record<string, string | undefined> = process.env): RouterEnv {
  const overrideNames = Object.keys(env).filter((name) => name.startsWith(overridePrefix));
  // Validated in the same pass, so every bad variable is reported at once.
  const withOverrides = schema.extend(Object.fromEntries(overrideNames.map((name) => [name, subgraphUrl()])));
  const parsed = parseEnv('router', withOverrides, env) as z.output<typeof schema> & Record<string, unknown>;
  const { SUBGRAPH_URLS, ...rest } = parsed;
  const subgraphUrls: Record<string, string> = { ...SUBGRAPH_URLS };
  for (const name of overrideNames) {
    subgraphUrls[name.slice(overridePrefix.length).toLowerCase()] = String(parsed[name]);
  }
  const fixed = Object.fromEntries(Object.entries(rest).filter(([name]) => !name.startsWith(overridePrefix)));
  const values = fixed as Omit<z.output<typeof schema>, 'SUBGRAPH_URLS'>;
  return { ...values, subgraphUrls, limits: limitsFromEnv(values, routerLimitDefaults) };
}
