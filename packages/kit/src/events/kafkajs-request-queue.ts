import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4's request queue re-arms a timer after every check, even with nothing queued, and with its
 * "not throttled" value (-1) the delay is negative, so Node runs it every millisecond: each broker
 * connection of every client wakes its process about 700 times a second for nothing (tulios/kafkajs#1556,
 * #1704; its fixes were never released; ADR 0026). On our two cores that was about 4% of a core per idle
 * part, and it showed as Node's TimeoutNegativeWarning.
 *
 * The check only has work while requests wait: push() schedules one when it queues a request, and every
 * answered or timed-out request checks again. So with nothing waiting, no timer is armed. The patch is
 * applied once, and only to the release it was written against (a later kafkajs is left as it is).
 */
interface RequestQueue {
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}

const patchedRelease = '2.2.4';
const patched = Symbol.for('hsg.kafkajs.requestQueue.idle');

/** Patches the kafkajs that `from` resolves (default: the kit's); whether it was (or already is) patched. */
export function patchKafkajsRequestQueue(from: string | URL = import.meta.url): boolean {
  const require = createRequire(from);
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== patchedRelease) return false;
  const prototype = (require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue })
    .prototype as RequestQueue & { [patched]?: true };
  if (prototype[patched]) return true;
  const schedule = prototype.scheduleCheckPendingRequests;
  prototype.scheduleCheckPendingRequests = function scheduleWhileRequestsWait(this: RequestQueue) {
    if (this.pending.length === 0) return;
    schedule.call(this);
  };
  prototype[patched] = true;
  return true;
}

patchKafkajsRequestQueue();
