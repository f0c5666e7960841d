import { randomUUID } from 'node:crypto';
import { infraEnv } from '@hsg/infra';
import { silentLogger } from '@hsg/kit';
import { startSubgraph } from '@hsg/kit/runtime';
import { graphqlRequest, kafkaBackend, sharedTestKeys, uniqueName, waitFor } from '@hsg/testing';
import { afterAll, expect, it } from '@jest/globals';
import mongoose from 'mongoose';
import { analyticsSubgraph } from '../src/subgraph.ts';
import { clinicDay, publish } from './events.ts';

const backend = kafkaBackend();
afterAll(() => backend.dispose());

it('runs as real mode does: the store from connectStore, no SQL database, fed from Kafka', async () => {
  const name = uniqueName('analytics');
  const logger = silentLogger();
  const opened = await analyticsSubgraph.connectStore({
    url: infraEnv().MONGO_URL,
    name,
    maxConnections: 5,
    logger,
  });
  const transport = await backend.transport();
  const keys = await sharedTestKeys();
  const running = await startSubgraph(analyticsSubgraph, {
    store: opened.store,
    transport,
    logger,
    port: 0,
    auth: { jwks: keys.jwks },
  });
  try {
    await publish(transport, clinicDay({ a: randomUUID(), b: randomUUID() }));
    await waitFor(() => running.workers.model.stats().processed === 19, 30_000);
    const response = await graphqlRequest(
      running.url,
      '{ dashboard(from: "2026-05-04", to: "2026-05-04") { appointmentsBooked revenuePaid { amount } } }',
      {},
      await keys.headersFor({ role: 'ADMIN' }),
    );
    expect(response.data).toEqual({ dashboard: { appointmentsBooked: 3, revenuePaid: [{ amount: 3000 }] } });
    expect(running.relay.state()).toBe('ready');
  } finally {
    await running.stop();
    await opened.close();
    const cleanup = await mongoose.createConnection(infraEnv().MONGO_URL, { dbName: name }).asPromise();
    await cleanup.db?.dropDatabase();
    await cleanup.close();
  }
}, 60_000);
