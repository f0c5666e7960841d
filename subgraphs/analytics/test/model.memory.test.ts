import { createMemoryAnalyticsModel } from '../src/model-memory.ts';
import { describeAnalyticsModelContract } from './model-contract.ts';

describeAnalyticsModelContract('in memory (embedded mode)', async () => ({
  model: createMemoryAnalyticsModel(),
  dispose: async () => {},
}));
