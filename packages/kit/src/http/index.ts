export { type ApolloRouteOptions, apolloRoute, formatGraphQLError, refusedResult } from './graphql.ts';
export {
  createHttpApp,
  defaultMaxBodyBytes,
  type HttpApp,
  type HttpAppOptions,
  type HttpMethod,
  healthRoutes,
  PayloadTooLargeError,
  type RequestHook,
  type Route,
  type RouteHandler,
  type RouteParams,
  readBody,
  sendJson,
  type UpgradeHandler,
  type UpgradeRoute,
} from './server.ts';
