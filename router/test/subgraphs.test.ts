import { loadSupergraphSdl } from '@hsg/schema';
import { describe, expect, it } from '@jest/globals';
import { resolveSubgraphUrls, subgraphsOf } from '../src/subgraphs.ts';

describe('subgraphsOf', () => {
  it('lists the committed supergraph’s subgraphs with their routing URLs', async () => {
    expect(subgraphsOf(await loadSupergraphSdl())).toContainEqual({
      name: 'patient',
      url: 'http://127.0.0.1:4101/graphql',
    });
  });
});

describe('resolveSubgraphUrls', () => {
  const subgraphs = [
    { name: 'patient', url: 'http://127.0.0.1:4101/graphql' },
    { name: 'lab-results', url: 'http://127.0.0.1:4105/graphql' },
  ];

  it('replaces the URLs it is given, matching env-style names', () => {
    expect(resolveSubgraphUrls(subgraphs, { lab_results: 'http://10.0.0.5/graphql' })).toEqual([
      subgraphs[0],
      { name: 'lab-results', url: 'http://10.0.0.5/graphql' },
    ]);
  });

  it('fails on an override for an unknown subgraph', () => {
    expect(() => resolveSubgraphUrls(subgraphs, { doctor: 'http://127.0.0.1:1/graphql' })).toThrow(/doctor/);
  });
});
