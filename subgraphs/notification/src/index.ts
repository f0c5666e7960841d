import { runSubgraphProcess } from '@hsg/kit/runtime';
import { notificationSubgraph } from './subgraph.ts';

// Real mode: this subgraph as its own process, configured by the environment.
await runSubgraphProcess(notificationSubgraph);
