import { embeddedLogBackend } from '@hsg/testing';
import { afterAll, it } from '@jest/globals';
import { createMemoryAnalyticsModel } from '../src/model-memory.ts';
import { expectRebuildEqualsLive } from './rebuild-check.ts';

const backend = embeddedLogBackend();
afterAll(() => backend.dispose());

it('rebuilds the in-memory model from the embedded log to the same answers as the live one', async () => {
  await expectRebuildEqualsLive(createMemoryAnalyticsModel(), await backend.transport());
}, 60_000);
