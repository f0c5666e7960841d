import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import { withSecurityEnforcedBySubgraphs } from './security-links.ts';

/** The schema clients see (the supergraph without its join__/link__ machinery): what Sandbox shows. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(withSecurityEnforcedBySubgraphs(supergraphSdl)).apiSchema().toGraphQLJSSchema();
}
