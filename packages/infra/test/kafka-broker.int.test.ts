import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import { type KafkaBroker, startKafkaBroker } from '../src/kafka-broker.ts';
import { isKafkaServing } from '../src/kafka-probe.ts';
import { isPortFree } from '../src/net.ts';

let dir = '';
let broker: KafkaBroker | undefined;

afterAll(async () => {
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Generous: on a fresh machine the first call also downloads the broker's jars.
it('stops and starts a private broker on the same port', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kafka-broker-test-'));
  broker = await startKafkaBroker({ dir });
  const port = Number(broker.brokers.split(':')[1]);
  expect(await isKafkaServing(port)).toBe(true);

  await broker.stop();
  expect(await isPortFree(port)).toBe(true);

  await broker.start();
  expect(await isKafkaServing(port)).toBe(true);
}, 180_000);
