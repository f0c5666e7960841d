import { Kind, parse } from 'graphql';

export interface SubgraphEndpoint {
  name: string;
  url: string;
}

/** The subgraphs a supergraph routes to, read from its `join__Graph` enum (name and routing URL). */
export function subgraphsOf(supergraphSdl: string): SubgraphEndpoint[] {
  const document = parse(supergraphSdl, { noLocation: true });
  const graphs = document.definitions.find(
    (definition) => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph',
  );
  if (graphs?.kind !== Kind.ENUM_TYPE_DEFINITION) throw new Error('Not a supergraph: no join__Graph enum');
  return (graphs.values ?? []).map((value) => {
    const directive = value.directives?.find((d) => d.name.value === 'join__graph');
    const argument = (name: string) => {
      const found = directive?.arguments?.find((a) => a.name.value === name)?.value;
      return found?.kind === Kind.STRING ? found.value : undefined;
    };
    const name = argument('name');
    const url = argument('url');
    if (name === undefined || url === undefined)
      throw new Error(`join__Graph.${value.name.value} lacks name or url`);
    return { name, url };
  });
}

/** Env-safe spelling of a subgraph name: SUBGRAPH_URL_<NAME> can only carry [A-Z0-9_]. */
const envKey = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '_');

/**
 * Applies URL overrides (by subgraph name) to the supergraph's routing URLs. An override naming no
 * subgraph is a typo that would silently route to the default URL, so it fails instead.
 */
export function resolveSubgraphUrls(
  subgraphs: SubgraphEndpoint[],
  overrides: Record<string, string> = {},
): SubgraphEndpoint[] {
  const byKey = new Map(Object.entries(overrides).map(([name, url]) => [envKey(name), url]));
  const unknown = [...byKey.keys()].filter(
    (key) => !subgraphs.some((subgraph) => envKey(subgraph.name) === key),
  );
  if (unknown.length > 0) {
    const known = subgraphs.map((subgraph) => subgraph.name).join(', ');
    throw new Error(
      `URL overrides for unknown subgraphs: ${unknown.join(', ')} (the supergraph has: ${known})`,
    );
  }
  return subgraphs.map((subgraph) => ({
    ...subgraph,
    url: byKey.get(envKey(subgraph.name)) ?? subgraph.url,
  }));
}
