/** Driver errors for a violated unique constraint, the same question for every dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  return code === '23505' || code === 'ER_DUP_ENTRY';
}

/**
 * The name of the violated constraint or index: Postgres reports it as a field; MySQL/MariaDB only in the
 * message ("Duplicate entry 'x' for key 'patients_email_unique'").
 */
export function violatedConstraint(error: unknown): string | undefined {
  const { constraint, message } = (error ?? {}) as { constraint?: unknown; message?: unknown };
  if (typeof constraint === 'string') return constraint;
  if (typeof message !== 'string') return undefined;
  return /for key '(?:[^'.]+\.)?([^']+)'/.exec(message)?.[1];
}

/** An exclusion constraint refused the row (Postgres 23P01), e.g. two overlapping time ranges. */
export function isExclusionViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23P01';
}

/** The server aborted the transaction for colliding with another (deadlock, serialization failure). */
export function isTransactionCollision(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  return code === '40P01' || code === '40001' || code === 'ER_LOCK_DEADLOCK';
}
