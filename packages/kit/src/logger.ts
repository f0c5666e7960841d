import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear (one level deep in any object, and at the top). Patient fields
 * (names, birth dates, identifiers, contacts) and secrets never reach a log line.
 */
const sensitiveKeys = [
  'password',
  'secret',
  'token',
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
  'ssn',
];
export const redactPaths = [
  ...sensitiveKeys,
  ...sensitiveKeys.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

export interface CreateLoggerOptions {
  service: string;
  level?: LoggerOptions['level'];
  /** Where lines go; tests pass a stream to read them back. Defaults to stdout. */
  destination?: pino.DestinationStream;
}

export function createLogger({ service, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything: for tests and benchmarks that do not inspect logs. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
