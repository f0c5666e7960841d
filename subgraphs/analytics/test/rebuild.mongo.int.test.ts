import { kafkaBackend } from '@hsg/testing';
import { afterAll, it } from '@jest/globals';
import { openMongoModel } from './mongo.ts';
import { expectRebuildEqualsLive } from './rebuild-check.ts';

const backend = kafkaBackend();
afterAll(() => backend.dispose());

it('rebuilds the MongoDB model from Kafka to the same answers as the live one', async () => {
  const { model, dispose } = await openMongoModel();
  try {
    await expectRebuildEqualsLive(model, await backend.transport());
  } finally {
    await dispose();
  }
}, 60_000);
