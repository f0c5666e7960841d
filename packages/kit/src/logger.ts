import { type Logger, type LoggerOptions, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line, at any depth, in objects, arrays and errors alike: patient
 * fields (names, birth dates, identifiers, contacts), secrets, and SQL parameters (a failed statement's
 * `params` hold whatever the patient typed).
 */
export const sensitiveKeys: ReadonlySet<string> = new Set(
  [
    'password',
    'secret',
    'token',
    'accessToken',
    'refreshToken',
    'authorization',
    'cookie',
    'apiKey',
    'name',
    'given',
    'family',
    'birthDate',
    'mrn',
    'identifier',
    'email',
    'phone',
    'telecom',
    'address',
    'line',
    'city',
    'postalCode',
    'ssn',
    'params',
    'parameters',
    // A driver error's detail quotes row values ("Key (mrn)=(MRN-…) already exists").
    'detail',
    'variables',
  ].map((key) => key.toLowerCase()),
);

const CENSOR = '[redacted]';
/** Deeper structures are cut: a log line is a summary, and a bound keeps a cyclic or huge object cheap. */
const MAX_DEPTH = 8;
const MAX_ITEMS = 100;

/** A copy of value with every sensitive key's value replaced, at any depth. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (value instanceof Error) return redactDeep(pino.stdSerializers.err(value), depth, seen);
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => redactDeep(item, depth + 1, seen));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = sensitiveKeys.has(key.toLowerCase()) ? CENSOR : redactDeep(item, depth + 1, seen);
  }
  return copy;
}

export interface CreateLoggerOptions {
  service: string;
  level?: LoggerOptions['level'];
  /**
   * Where lines go; tests pass a stream to read them back. Defaults to stdout: one JSON object a line for
   * log shippers, or pino-pretty's coloured lines when stdout is a terminal (a person is reading).
   */
  destination?: pino.DestinationStream;
}

export function createLogger({ service, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      // Every logged object (and a child's bindings) passes through here before it is written.
      log: (object) => redactDeep(object) as Record<string, unknown>,
    },
  };
  const output =
    destination ?? (process.stdout.isTTY ? pretty({ translateTime: 'SYS:HH:MM:ss.l' }) : undefined);
  const logger = output ? pino(options, output) : pino(options);
  // pino skips the formatters for a child's bindings, so they are redacted on the way in. Children are
  // created from their parent's prototype, so grandchildren inherit this too.
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    const unique = withoutBoundKeys(this.bindings(), redactDeep(bindings) as typeof bindings);
    return child.call(this, unique, childOptions);
  } as typeof logger.child;
  return logger;
}

/**
 * pino writes a child's bindings after its parent's without merging, so a key bound twice would appear
 * twice in one line, which log stores (Elasticsearch, Loki's JSON parser) refuse. A repeated key with the
 * same value is dropped; with another value it is kept as `child.<key>`.
 */
function withoutBoundKeys(bound: Record<string, unknown>, bindings: Record<string, unknown>) {
  const unique: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bindings)) {
    if (!(key in bound) && key !== 'level' && key !== 'time' && key !== 'msg') unique[key] = value;
    else if (bound[key] !== value) unique[`child.${key}`] = value;
  }
  return unique;
}

/** A logger that drops everything: for tests and benchmarks that do not inspect logs. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
