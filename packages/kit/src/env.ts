import { z } from 'zod';

/** Thrown by parseEnv with every problem in the environment listed, one per line. */
export class EnvError extends Error {
  readonly problems: string[];
  constructor(service: string, problems: string[]) {
    super(`Invalid environment for ${service}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
    this.problems = problems;
  }
}

/**
 * Validates a service's environment against its zod schema and returns a typed object, reporting every
 * bad or missing variable at once. Pure: no process.exit, no reading of process.env unless passed in.
 */
export function parseEnv<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(root)';
    const value = env[String(issue.path[0])];
    return value === undefined ? `${name}: ${issue.message} (not set)` : `${name}: ${issue.message}`;
  });
  throw new EnvError(service, problems);
}

/** Reusable field parsers so every service spells common settings the same way. */
export const envFields = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: () => z.string().default('127.0.0.1'),
  /** A schema (Postgres) or database (MySQL) name: a plain lower-case identifier. */
  sqlNamespace: (fallback: string) =>
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier')
      .default(fallback),
  poolSize: () => z.coerce.number().int().min(1).max(100).default(10),
  /** production turns off what helps a developer and helps an attacker too (Sandbox, introspection, …). */
  nodeEnv: () => z.enum(['development', 'production', 'test']).default('development'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  httpUrl: () => z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }),
  postgresUrl: () => z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }),
  mysqlUrl: () => z.url({ protocol: /^mysql$/, error: 'must be a mysql:// URL' }),
  mongoUrl: () => z.url({ protocol: /^mongodb(\+srv)?$/, error: 'must be a mongodb:// URL' }),
  kafkaBrokers: () =>
    z
      .string()
      .regex(/^[^,\s:]+:\d+(,[^,\s:]+:\d+)*$/, 'must be host:port[,host:port...]')
      .transform((value) => value.split(',')),
  /** Before every Kafka topic name: systems sharing one broker keep their events apart (empty: none). */
  kafkaTopicPrefix: () =>
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{0,100}$/, 'must be letters, digits, ".", "_" or "-"')
      .default(''),
  durationMs: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  /**
   * DRAIN_DELAY_MS: after SIGTERM, how long /ready answers 503 while everything is still served, before
   * the server stops accepting (give it the load balancer's probe interval; 0 where none probes).
   */
  drainDelayMs: () => z.coerce.number().int().min(0).max(120_000).default(0),
  /** A comma-separated list of web origins (scheme://host[:port], no path); empty means none. */
  origins: () =>
    z
      .string()
      .default('')
      .transform((text) =>
        text
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(/^https?:\/\/[^/\s,]+$/, 'each origin must be scheme://host[:port], without a path'),
        ),
      ),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),
};
