import { supergraphPath } from '@hsg/schema';
import { describe, expect, it } from '@jest/globals';
import { parseRouterEnv } from '../src/env.ts';

describe('parseRouterEnv', () => {
  it('has defaults for everything', () => {
    expect(parseRouterEnv({})).toEqual({
      PORT: 4000,
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      SUPERGRAPH_PATH: supergraphPath,
      SUBGRAPH_MAX_SOCKETS: 64,
      SUBGRAPH_TIMEOUT_MS: 30_000,
      QUERY_PLAN_CACHE_MIB: 30,
      subgraphUrls: {},
    });
  });

  it('merges SUBGRAPH_URLS with SUBGRAPH_URL_<NAME>, the latter winning', () => {
    const env = parseRouterEnv({
      SUBGRAPH_URLS: '{"patient":"http://127.0.0.1:5101/graphql","doctor":"http://127.0.0.1:5102/graphql"}',
      SUBGRAPH_URL_PATIENT: 'http://127.0.0.1:6101/graphql',
    });
    expect(env.subgraphUrls).toEqual({
      patient: 'http://127.0.0.1:6101/graphql',
      doctor: 'http://127.0.0.1:5102/graphql',
    });
    expect(env).not.toHaveProperty('SUBGRAPH_URL_PATIENT');
  });

  it('reports every bad variable at once', () => {
    expect(() =>
      parseRouterEnv({ PORT: 'x', SUBGRAPH_URLS: '{not json', SUBGRAPH_URL_DOCTOR: 'doctor:4102' }),
    ).toThrow(/PORT[\s\S]*SUBGRAPH_URLS[\s\S]*SUBGRAPH_URL_DOCTOR/);
  });
});
