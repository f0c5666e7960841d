export { apolloRoute, formatGraphQLError } from './graphql.ts';
export {
  createHttpApp,
  type HttpApp,
  healthRoutes,
  type RouteHandler,
  readBody,
  sendJson,
} from './server.ts';
