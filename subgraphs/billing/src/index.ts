import { runSubgraphProcess } from '@hsg/kit/runtime';
import { billingSubgraph } from './subgraph.ts';

// Real mode: this subgraph as its own process, configured by the environment.
await runSubgraphProcess(billingSubgraph);
