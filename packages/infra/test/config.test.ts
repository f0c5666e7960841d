import { afterEach, describe, expect, it } from '@jest/globals';
import { infraEnv, infraPorts } from '../src/config.ts';

const KEYS = ['DATABASE_URL', 'MYSQL_URL', 'MONGO_URL', 'KAFKA_BROKERS', 'INFRA_PG_PORT', 'INFRA_KAFKA_PORT'];
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('infraEnv', () => {
  it('derives URLs from the configured ports when nothing is set', () => {
    for (const k of KEYS) delete process.env[k];
    expect(infraEnv()).toEqual({
      DATABASE_URL: 'postgres://app:app@127.0.0.1:55432/app',
      MYSQL_URL: 'mysql://app:app@127.0.0.1:53306/app',
      MONGO_URL: 'mongodb://127.0.0.1:57017/app',
      KAFKA_BROKERS: '127.0.0.1:59092',
    });
  });

  it('follows port overrides and lets variables already set win', () => {
    process.env.INFRA_PG_PORT = '6000';
    process.env.INFRA_KAFKA_PORT = '6001';
    process.env.MYSQL_URL = 'mysql://u:p@db:3306/x';
    const env = infraEnv();
    expect(env.DATABASE_URL).toBe('postgres://app:app@127.0.0.1:6000/app');
    expect(env.KAFKA_BROKERS).toBe('127.0.0.1:6001');
    expect(env.MYSQL_URL).toBe('mysql://u:p@db:3306/x');
  });

  it('rejects a port that is not one', () => {
    process.env.INFRA_PG_PORT = 'abc';
    expect(() => infraPorts()).toThrow('INFRA_PG_PORT=abc');
  });
});
