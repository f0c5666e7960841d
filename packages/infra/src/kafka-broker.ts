// Private single-node brokers for tests that need to stop and restart Kafka under a running app.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { kafkaNode } from './kafka.ts';
import { freePort } from './net.ts';

export type KafkaBroker = {
  /** `127.0.0.1:PORT`, for the client's `brokers` option. */
  brokers: string;
  /** Stops the broker; resolves once the process exited and its ports are free. Data stays. */
  stop(): Promise<void>;
  /** Starts it again (same data, same ports); resolves once it serves requests. */
  start(): Promise<void>;
};

export type StartKafkaBrokerOptions = {
  /** Folder for this broker's config, data and logs (created if missing). */
  dir: string;
  /** Broker port; 0 or absent picks a free one. */
  port?: number;
  /** KRaft controller port; 0 or absent picks a free one. */
  controllerPort?: number;
};

/**
 * Starts a private broker (jars from the shared cache, downloaded if missing) and resolves once it
 * serves requests. It dies with the calling process if not stopped before.
 */
export async function startKafkaBroker(options: StartKafkaBrokerOptions): Promise<KafkaBroker> {
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const port = options.port || (await freePort());
  let controllerPort = options.controllerPort || (await freePort());
  while (controllerPort === port) controllerPort = await freePort();
  const node = kafkaNode({ dir, port, controllerPort, detached: false });
  await node.start();
  return {
    brokers: node.brokers,
    stop: async () => {
      await node.stop();
    },
    start: node.start,
  };
}
