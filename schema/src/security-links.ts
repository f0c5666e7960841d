/**
 * The access-rule features (`@authenticated`, `@requiresScopes`, `@policy`) are linked `for: SECURITY`,
 * which tells a router it must enforce them or refuse the supergraph. @apollo/gateway enforces none, so it
 * refuses. Here the subgraphs enforce every rule themselves (ADR 0016), so the gateway gets the supergraph
 * with those links as plain metadata: the directives stay in the schema, visible to clients.
 */
const securityLink =
  /(@link\(url: "https:\/\/specs\.apollo\.dev\/(?:authenticated|requiresScopes|policy)\/v0\.\d+"), for: SECURITY\)/g;

export function withSecurityEnforcedBySubgraphs(supergraphSdl: string): string {
  return supergraphSdl.replace(securityLink, '$1)');
}
