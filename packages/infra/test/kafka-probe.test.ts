import net from 'node:net';
import { afterEach, expect, it } from '@jest/globals';
import { isKafkaServing, kafkaBrokerCount } from '../src/kafka-probe.ts';

let server: net.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A fake broker answering any request with a Metadata v1 frame that lists `brokers` brokers. */
function fakeBroker(brokers: number): Promise<number> {
  const fake = net.createServer((socket) => {
    socket.once('data', (request: Buffer) => {
      const correlationId = request.readInt32BE(8); // after size, api key, api version
      const body = Buffer.alloc(8);
      body.writeInt32BE(correlationId, 0);
      body.writeInt32BE(brokers, 4);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length, 0);
      socket.end(Buffer.concat([size, body]));
    });
  });
  server = fake;
  return new Promise((resolve) =>
    fake.listen(0, '127.0.0.1', () => resolve((fake.address() as net.AddressInfo).port)),
  );
}

it('reads the broker count of a Metadata answer', async () => {
  const port = await fakeBroker(1);
  expect(await kafkaBrokerCount(port)).toBe(1);
  expect(await isKafkaServing(port)).toBe(true);
});

it('is not serving while the cluster reports no broker', async () => {
  expect(await isKafkaServing(await fakeBroker(0))).toBe(false);
});

it('is not serving when nothing listens', async () => {
  const port = await fakeBroker(1);
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  server = undefined;
  expect(await isKafkaServing(port)).toBe(false);
});
