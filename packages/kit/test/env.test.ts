import { EnvError, envFields, parseEnv } from '@hsg/kit';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';

const schema = z.object({
  PORT: envFields.port(4001),
  LOG_LEVEL: envFields.logLevel(),
  DATABASE_URL: envFields.postgresUrl(),
  KAFKA_BROKERS: envFields.kafkaBrokers(),
  OUTBOX_POLL_MS: envFields.durationMs(1000),
});

describe('parseEnv', () => {
  it('returns typed values with defaults applied', () => {
    const env = parseEnv('patient', schema, {
      DATABASE_URL: 'postgres://app:app@127.0.0.1:55432/app',
      KAFKA_BROKERS: '127.0.0.1:59092,127.0.0.1:59093',
    });
    expect(env).toEqual({
      PORT: 4001,
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgres://app:app@127.0.0.1:55432/app',
      KAFKA_BROKERS: ['127.0.0.1:59092', '127.0.0.1:59093'],
      OUTBOX_POLL_MS: 1000,
    });
  });

  it('reports every bad or missing variable in one error', () => {
    const bad = { PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', OUTBOX_POLL_MS: '-5' };
    let caught: unknown;
    try {
      parseEnv('patient', schema, bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvError);
    const { problems, message } = caught as EnvError;
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'PORT',
      'LOG_LEVEL',
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'OUTBOX_POLL_MS',
    ]);
    expect(problems.find((problem) => problem.startsWith('KAFKA_BROKERS'))).toMatch(/not set/);
    expect(message).toMatch(/^Invalid environment for patient:\n {2}- PORT/);
  });

  it('reads nothing from process.env when given an environment', () => {
    process.env.PORT_FOR_TEST_ONLY = '1';
    expect(() => parseEnv('x', z.object({ PORT_FOR_TEST_ONLY: z.string() }), {})).toThrow(EnvError);
    delete process.env.PORT_FOR_TEST_ONLY;
  });
});
