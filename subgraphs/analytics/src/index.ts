import { runSubgraphProcess } from '@hsg/kit/runtime';
import { analyticsSubgraph } from './subgraph.ts';

// Real mode: this subgraph as its own process, on MongoDB and Kafka, configured by the environment.
await runSubgraphProcess(analyticsSubgraph);
