import { apolloRoute } from '@hsg/kit/http';
import type { RouterFeature } from './feature.ts';

export interface GraphQLHttpOptions {
  /** Where operations are POSTed (and GETted; a browser gets the landing page in development). */
  path?: string;
  /** Larger request bodies answer 413 with PAYLOAD_TOO_LARGE, refused on Content-Length before reading. */
  maxBodyBytes?: number;
}

/** GraphQL over HTTP: the gateway's Apollo Server on one path, every method (Apollo answers the ones it refuses). */
export function createGraphQLHttpFeature({
  path = '/graphql',
  maxBodyBytes,
}: GraphQLHttpOptions = {}): RouterFeature {
  return {
    name: 'graphql-http',
    setup(host) {
      host.route({
        path,
        handler: apolloRoute(host.apollo, (request) => host.contextFor(request.headers, request), {
          maxBodyBytes,
        }),
      });
    },
  };
}
