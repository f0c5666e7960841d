export { type EngineName, type GraphQLEngine, startEngine } from './engines.ts';
export { entityLoader, loaderMemo } from './loaders.ts';
export { formatExecution } from './mercurius-errors.ts';
export {
  parseSubgraphEnv,
  runSubgraphProcess,
  type SubgraphProcessEnv,
  subgraphEnvSchema,
} from './process.ts';
export { type RequestContext, requestContextOf, traceparentOf } from './request-context.ts';
export { assertCleanInput, defaultInputLimits, type InputLimits, withStrictInput } from './strict-input.ts';
export {
  type AnySubgraph,
  type ApiDeps,
  type DocumentStoreTarget,
  defineSubgraph,
  type MongoSubgraphDefinition,
  type OpenedStore,
  type RunningSubgraph,
  type SqlSubgraphDefinition,
  type StartSubgraphOptions,
  type SubgraphApi,
  type SubgraphDefinition,
  serveSubgraph,
  settingsOf,
  startSubgraph,
  type Worker,
  type WorkerDeps,
  type Workers,
} from './subgraph.ts';
export {
  createSubgraphServer,
  type ReadinessCheck,
  type SubgraphServer,
  type SubgraphServerOptions,
} from './subgraph-server.ts';
