// Jest-only: these define test suites, so they live apart from the helpers that scripts can load too.
export { describeEventTransportContract } from './event-contract.ts';
export {
  describeInboxContract,
  type InboxBackend,
  type InboxStore,
  memoryInboxBackend,
  sqlInboxBackend,
} from './inbox-contract.ts';
export { describeSqlContract } from './sql-contract.ts';
export { expectBatchedReferences, expectPagingRules } from './subgraph-checks.ts';
export { countingStore, type SubgraphUnderTest, useSubgraph } from './subgraph-suite.ts';
