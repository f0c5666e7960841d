import type { CloudEvent, EventTransport } from '@hsg/kit/events';
import { uniqueName } from './names.ts';

/**
 * Reads `topic` from the beginning with a fresh group and returns the events about `subject`, once at
 * least `atLeast` arrived or timeoutMs passed (the caller asserts on what came).
 */
export async function collectEvents(
  transport: EventTransport,
  topic: string,
  subject: string,
  atLeast: number,
  timeoutMs = 30_000,
): Promise<Array<{ key: string; event: CloudEvent }>> {
  const seen: Array<{ key: string; event: CloudEvent }> = [];
  let enough: () => void = () => {};
  const arrived = new Promise<void>((resolve) => {
    enough = resolve;
  });
  const consumer = await transport.consume({
    groupId: uniqueName('collect'),
    topics: [topic],
    fromBeginning: true,
    onBatch: async (batch) => {
      for (const record of batch.records) {
        const event = JSON.parse(record.value) as CloudEvent;
        if (event.subject === subject) seen.push({ key: record.key, event });
        batch.markProcessed(record);
      }
      if (seen.length >= atLeast) enough();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([arrived, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  await consumer.stop();
  return seen;
}
