import { EnvError } from '@hsg/kit';
import { parseSubgraphEnv } from '@hsg/kit/runtime';
import { describe, expect, it } from '@jest/globals';
import { analyticsSubgraph } from '../src/subgraph.ts';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', JWKS_URL: 'http://127.0.0.1:4106/.well-known/jwks.json' };

describe('analytics environment (the kit with store: mongo)', () => {
  it('reads a mongodb:// DATABASE_URL and names the database after the subgraph', () => {
    const env = parseSubgraphEnv(analyticsSubgraph, { ...base, DATABASE_URL: 'mongodb://127.0.0.1:57017' });
    expect(env).toMatchObject({
      PORT: 4107,
      namespace: 'analytics',
      settings: { ANALYTICS_CLAIM_MS: 30_000 },
    });
  });

  it('refuses a SQL DATABASE_URL', () => {
    expect(() => parseSubgraphEnv(analyticsSubgraph, { ...base, DATABASE_URL: 'postgres://x@y/z' })).toThrow(
      EnvError,
    );
  });
});
