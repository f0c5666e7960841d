import { waitUntil } from '@hsg/infra';

/** The project's one polling wait (infra's waitUntil), at the short interval tests want. */
export const waitFor = (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> =>
  waitUntil('a test condition', condition, { timeoutMs, intervalMs: 10 });
