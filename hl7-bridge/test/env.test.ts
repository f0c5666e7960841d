import { EnvError } from '@hsg/kit';
import { describe, expect, it } from '@jest/globals';
import { parseBridgeEnv } from '../src/env.ts';

describe('the bridge’s environment', () => {
  it('has defaults for everything but the password', () => {
    expect(parseBridgeEnv({ HL7_PASSWORD: 'secret' })).toEqual({
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: 4109,
      HL7_MLLP_HOST: '127.0.0.1',
      HL7_MLLP_PORT: 2575,
      GRAPH_URL: 'http://127.0.0.1:4000/graphql',
      HL7_USERNAME: 'integration',
      HL7_PASSWORD: 'secret',
      GRAPH_TIMEOUT_MS: 10_000,
      HL7_MAX_FRAME_BYTES: 1_048_576,
      HL7_IDLE_TIMEOUT_MS: 300_000,
      HL7_MAX_CONNECTIONS: 1000,
      HL7_PROCESSING_IDS: ['P'],
      HL7_DEFAULT_TIME_ZONE: 'UTC',
      DRAIN_DELAY_MS: 0,
    });
  });

  it('reads lists and zones', () => {
    const env = parseBridgeEnv({
      HL7_PASSWORD: 'secret',
      HL7_PROCESSING_IDS: 'p, T',
      HL7_DEFAULT_TIME_ZONE: 'Europe/Berlin',
      HL7_MLLP_PORT: '0',
    });
    expect([env.HL7_PROCESSING_IDS, env.HL7_DEFAULT_TIME_ZONE, env.HL7_MLLP_PORT]).toEqual([
      ['P', 'T'],
      'Europe/Berlin',
      0,
    ]);
  });

  it('reports every bad variable at once, without exiting', () => {
    let caught: unknown;
    try {
      parseBridgeEnv({
        HL7_MLLP_PORT: '70000',
        HL7_PROCESSING_IDS: 'X',
        HL7_DEFAULT_TIME_ZONE: 'Nowhere/City',
        GRAPH_URL: 'ftp://x',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvError);
    const problems = (caught as EnvError).problems.join('\n');
    for (const name of [
      'HL7_MLLP_PORT',
      'HL7_PROCESSING_IDS',
      'HL7_DEFAULT_TIME_ZONE',
      'GRAPH_URL',
      'HL7_PASSWORD',
    ])
      expect(problems).toContain(name);
  });
});
