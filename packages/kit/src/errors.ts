/**
 * One catalogue of application errors. Each code is stable (clients branch on it) and says whether
 * retrying the same request may succeed.
 */
export const errorCatalogue = {
  BAD_USER_INPUT: { retriable: false, httpStatus: 400 },
  UNAUTHENTICATED: { retriable: false, httpStatus: 401 },
  FORBIDDEN: { retriable: false, httpStatus: 403 },
  NOT_FOUND: { retriable: false, httpStatus: 404 },
  CONFLICT: { retriable: false, httpStatus: 409 },
  UNAVAILABLE: { retriable: true, httpStatus: 503 },
  INTERNAL: { retriable: false, httpStatus: 500 },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export interface AppErrorOptions {
  /** Machine-readable details safe to show a client (e.g. the offending field). Never patient data. */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Overrides the catalogue's default, e.g. a CONFLICT that is worth retrying. */
  retriable?: boolean;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? errorCatalogue[code].retriable;
    this.details = options.details;
  }
}

// On the prototype, not the instance: the logger redacts any own `name` key (a patient's name).
Object.defineProperty(AppError.prototype, 'name', { value: 'AppError' });

export const badUserInput = (message: string, field?: string) =>
  new AppError('BAD_USER_INPUT', message, field === undefined ? {} : { details: { field } });
export const notFound = (message: string) => new AppError('NOT_FOUND', message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError('CONFLICT', message, details === undefined ? {} : { details });
/** Optimistic concurrency lost: someone changed the entity since the client read `expected`. */
export const staleVersion = (entity: string, expected: number, current: number) =>
  conflict(`${entity} was changed meanwhile: expectedVersion ${expected}, current ${current}`, {
    rule: 'STALE_VERSION',
    field: 'expectedVersion',
    currentVersion: current,
  });
export const forbidden = (message = 'Not allowed') => new AppError('FORBIDDEN', message);
export const unauthenticated = (message = 'Authentication required') =>
  new AppError('UNAUTHENTICATED', message);
export const unavailable = (message: string, cause?: unknown) =>
  new AppError('UNAVAILABLE', message, { cause });

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/**
 * Whether an arbitrary failure is worth retrying: our own errors say so; driver errors that look like a
 * lost connection or a transient server state are retriable; everything else (programming errors) is not.
 */
export function isRetriable(error: unknown): boolean {
  if (isAppError(error)) return error.retriable;
  if (typeof error !== 'object' || error === null) return false;
  const { retriable, code } = error as { retriable?: unknown; code?: unknown };
  if (typeof retriable === 'boolean') return retriable; // kafkajs errors carry this
  if (typeof code !== 'string') return false;
  return transientCodes.has(code) || code.startsWith('08'); // SQLSTATE class 08: connection exception
}

const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  'ER_LOCK_DEADLOCK', // MySQL/MariaDB 1213
  'ER_LOCK_WAIT_TIMEOUT', // MySQL/MariaDB 1205
  'ER_CON_COUNT_ERROR', // MySQL/MariaDB too many connections
]);

export interface FormattedError {
  message: string;
  extensions: { code: ErrorCode; retriable: boolean } & Record<string, unknown>;
}

/**
 * The one mapping from any thrown value to what a GraphQL client sees. Unknown failures become INTERNAL
 * with a generic message so internals (SQL, stack traces, patient data) never leak.
 */
export function toGraphQLErrorShape(error: unknown): FormattedError {
  const original = unwrap(error);
  if (isAppError(original)) {
    return {
      message: original.message,
      extensions: { ...original.details, code: original.code, retriable: original.retriable },
    };
  }
  if (isRetriable(original)) {
    return {
      message: 'Service temporarily unavailable',
      extensions: { code: 'UNAVAILABLE', retriable: true },
    };
  }
  return { message: 'Internal server error', extensions: { code: 'INTERNAL', retriable: false } };
}

/** GraphQL servers wrap resolver errors; the domain error is the `originalError`. */
function unwrap(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    const next = (current as { originalError?: unknown } | null)?.originalError;
    if (next === undefined || next === null) return current;
    current = next;
  }
  return current;
}
