import type { EventTransport } from '@hsg/kit/events';
import { embeddedLogBackend, setupTimeoutMs } from '@hsg/testing';
import { afterAll, beforeAll, it } from '@jest/globals';
import { createMemoryAnalyticsModel } from '../src/model-memory.ts';
import { expectRebuildEqualsLive } from './rebuild-check.ts';

const backend = embeddedLogBackend();
let transport: EventTransport;
// Opening PGlite (a WASM Postgres) is most of this test's time, and far more on a loaded machine: setup.
beforeAll(async () => {
  transport = await backend.transport();
}, setupTimeoutMs);
afterAll(() => backend.dispose());

it('rebuilds the in-memory model from the embedded log to the same answers as the live one', async () => {
  await expectRebuildEqualsLive(createMemoryAnalyticsModel(), transport);
}, 60_000);
