import { routerLimitDefaults } from '@hsg/kit/graphql';
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
      DRAIN_DELAY_MS: 0,
      MAX_BODY_BYTES: 262_144,
      CORS_ORIGINS: [],
      QUERY_PLAN_CACHE_MIB: 30,
      KAFKA_TOPIC_PREFIX: '',
      GRAPHQL_MAX_TOKENS: routerLimitDefaults.maxTokens,
      GRAPHQL_MAX_DEPTH: routerLimitDefaults.maxDepth,
      GRAPHQL_MAX_ALIASES: routerLimitDefaults.maxAliases,
      GRAPHQL_MAX_ROOT_FIELDS: routerLimitDefaults.maxRootFields,
      GRAPHQL_MAX_DIRECTIVES: routerLimitDefaults.maxDirectives,
      GRAPHQL_MAX_COST: routerLimitDefaults.maxCost,
      subgraphUrls: {},
      limits: routerLimitDefaults,
    });
  });

  it('reads the limits, the CORS allowlist and the drain delay', () => {
    const env = parseRouterEnv({
      GRAPHQL_MAX_DEPTH: '8',
      GRAPHQL_MAX_COST: '500',
      CORS_ORIGINS: 'https://app.clinic.example, http://localhost:5173',
      DRAIN_DELAY_MS: '5000',
    });
    expect(env.limits).toEqual({ ...routerLimitDefaults, maxDepth: 8, maxCost: 500 });
    expect(env.CORS_ORIGINS).toEqual(['https://app.clinic.example', 'http://localhost:5173']);
    expect(env.DRAIN_DELAY_MS).toBe(5000);
    expect(() => parseRouterEnv({ CORS_ORIGINS: 'https://app.example/path' })).toThrow(/CORS_ORIGINS/);
    expect(() => parseRouterEnv({ GRAPHQL_MAX_DEPTH: '0' })).toThrow(/GRAPHQL_MAX_DEPTH/);
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
