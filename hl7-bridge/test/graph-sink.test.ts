import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createGraphLabResultsSink,
  LabResultsSinkError,
  type RecordLabResultsInput,
  recordLabResultsMutation,
} from '../src/bridge.ts';

/**
 * A stand-in for the router: /auth/login and /auth/refresh as identity answers them (through the router),
 * /graphql answering recordLabResults the way the graph does, by the MRN the test sends.
 */
function fakeRouter() {
  const state = {
    logins: 0,
    refreshes: 0,
    graphCalls: 0,
    password: 'lab-secret',
    expiresIn: 900,
    valid: new Set<string>(),
    refreshTokens: new Set<string>(),
    lastBody: undefined as unknown,
    lastAuthorization: '' as string | undefined,
    nextToken: 0,
    /** false: tokens are issued but the graph refuses them (a user disabled between login and call). */
    tokensWork: true,
  };
  const send = (response: ServerResponse, status: number, body: unknown) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/html' : 'application/json',
    });
    response.end(text);
  };
  const pair = () => {
    state.nextToken += 1;
    const accessToken = `access-${state.nextToken}`;
    const refreshToken = `refresh-${state.nextToken}`;
    if (state.tokensWork) state.valid.add(accessToken);
    state.refreshTokens.add(refreshToken);
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: state.expiresIn,
      refreshToken,
      refreshExpiresIn: 1_209_600,
    };
  };
  const graphError = (code: string, extra: Record<string, unknown> = {}) => ({
    data: null,
    errors: [
      { message: `failed with ${code}`, extensions: { code, retriable: code === 'UNAVAILABLE', ...extra } },
    ],
  });
  const read = async (request: IncomingMessage) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    return JSON.parse(text) as Record<string, unknown>;
  };
  const server: Server = createServer(async (request, response) => {
    const body = await read(request);
    if (request.url === '/auth/login') {
      state.logins += 1;
      if (body.username !== 'lab' || body.password !== state.password)
        return send(response, 401, {
          error: 'invalid_credentials',
          message: 'The username or password is not correct',
        });
      return send(response, 200, pair());
    }
    if (request.url === '/auth/refresh') {
      state.refreshes += 1;
      const token = String(body.refreshToken);
      if (!state.refreshTokens.delete(token)) return send(response, 401, { error: 'invalid_grant' });
      return send(response, 200, pair());
    }
    if (request.url !== '/graphql') return send(response, 404, { error: 'not found' });
    state.graphCalls += 1;
    state.lastBody = body;
    state.lastAuthorization = request.headers.authorization;
    const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!state.valid.has(token)) return send(response, 401, graphError('UNAUTHENTICATED'));
    const input = (body.variables as { input: RecordLabResultsInput }).input;
    const observations = input.results.map((_result, index) => ({ id: `obs-${index}` }));
    switch (input.patientMrn) {
      case 'MRN-DUP':
        return send(response, 200, { data: { recordLabResults: { duplicate: true, observations } } });
      case 'MRN-UNKNOWN':
        return send(
          response,
          200,
          graphError('BAD_USER_INPUT', { rule: 'UNKNOWN_PATIENT', field: 'input.patientMrn' }),
        );
      case 'MRN-NOT-FOUND':
        return send(response, 200, graphError('NOT_FOUND'));
      case 'MRN-REUSED':
        return send(
          response,
          200,
          graphError('CONFLICT', { rule: 'MESSAGE_ID_REUSED', field: 'input.source.messageId' }),
        );
      case 'MRN-UNAVAILABLE':
        return send(response, 503, graphError('UNAVAILABLE'));
      case 'MRN-503':
        return send(response, 503, '<html>Service Unavailable</html>');
      case 'MRN-FORBIDDEN':
        return send(response, 403, graphError('FORBIDDEN'));
      case 'MRN-SLOW': {
        const gone = new AbortController();
        response.once('close', () => gone.abort());
        await sleep(2000, undefined, { signal: gone.signal }).catch(() => undefined);
        if (gone.signal.aborted) return;
        return send(response, 200, { data: { recordLabResults: { duplicate: false, observations } } });
      }
      default:
        return send(response, 200, { data: { recordLabResults: { duplicate: false, observations } } });
    }
  });
  return { server, state };
}

const input = (patientMrn: string): RecordLabResultsInput => ({
  patientMrn,
  source: { sendingFacility: 'SYNTH LAB', messageId: `MSG-${patientMrn}` },
  results: [
    { code: { system: 'http://loinc.org', code: '2345-7' }, status: 'FINAL', valueQuantity: { value: 95 } },
    { code: { system: 'http://loinc.org', code: '718-7' }, status: 'FINAL', valueQuantity: { value: 13 } },
  ],
});

let router: ReturnType<typeof fakeRouter>;
let graphUrl: string;
let clock: number;

beforeEach(async () => {
  router = fakeRouter();
  await new Promise<void>((resolve) => router.server.listen(0, '127.0.0.1', resolve));
  graphUrl = `http://127.0.0.1:${(router.server.address() as AddressInfo).port}/graphql`;
  clock = Date.parse('2026-02-01T08:00:00Z');
});

afterEach(async () => {
  router.server.closeAllConnections();
  await new Promise((resolve) => router.server.close(resolve));
});

const sinkFor = (options: { password?: string; timeoutMs?: number } = {}) =>
  createGraphLabResultsSink({
    graphUrl,
    username: 'lab',
    password: options.password ?? 'lab-secret',
    timeoutMs: options.timeoutMs ?? 5000,
    now: () => clock,
  });

async function failureOf(promise: Promise<unknown>): Promise<LabResultsSinkError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LabResultsSinkError) return error;
    throw error;
  }
  throw new Error('expected the sink to fail');
}

describe('the graph sink', () => {
  it('logs in and records the results with recordLabResults and a Bearer token', async () => {
    const sink = sinkFor();
    await expect(sink.record(input('MRN-OK'))).resolves.toEqual({ duplicate: false, stored: 2 });
    expect(router.state.logins).toBe(1);
    expect(router.state.lastAuthorization).toBe('Bearer access-1');
    expect(router.state.lastBody).toEqual({
      query: recordLabResultsMutation,
      variables: { input: input('MRN-OK') },
      operationName: 'RecordLabResults',
    });
  });

  it('answers a duplicate as the graph says, storing nothing', async () => {
    await expect(sinkFor().record(input('MRN-DUP'))).resolves.toEqual({ duplicate: true, stored: 0 });
  });

  it.each([
    ['MRN-UNKNOWN', 'BAD_USER_INPUT', 'UNKNOWN_PATIENT'],
    ['MRN-NOT-FOUND', 'NOT_FOUND', undefined],
    ['MRN-REUSED', 'CONFLICT', 'MESSAGE_ID_REUSED'],
  ])('classifies %s (%s) as a content error', async (mrn, code, rule) => {
    const failure = await failureOf(sinkFor().record(input(mrn)));
    expect(failure.kind).toBe('content');
    expect(failure.details.code).toBe(code);
    expect(failure.details.rule).toBe(rule);
  });

  it.each([
    ['MRN-UNAVAILABLE', 'UNAVAILABLE'],
    ['MRN-503', '503'],
    ['MRN-FORBIDDEN', 'FORBIDDEN'],
  ])('classifies %s as unavailable (%s)', async (mrn, code) => {
    const failure = await failureOf(sinkFor().record(input(mrn)));
    expect(failure.kind).toBe('unavailable');
    expect(failure.details.code).toBe(code);
  });

  it('classifies a timeout as unavailable', async () => {
    const failure = await failureOf(sinkFor({ timeoutMs: 200 }).record(input('MRN-SLOW')));
    expect([failure.kind, failure.details.code]).toEqual(['unavailable', 'TIMEOUT']);
  });

  it('classifies a graph that cannot be reached as unavailable', async () => {
    const sink = sinkFor();
    router.server.closeAllConnections();
    await new Promise((resolve) => router.server.close(resolve));
    const failure = await failureOf(sink.record(input('MRN-OK')));
    expect([failure.kind, failure.details.code]).toEqual(['unavailable', 'NETWORK']);
    router.server = createServer().listen(0); // afterEach closes this one
  });

  it('refreshes the token before it expires', async () => {
    const sink = sinkFor();
    await sink.record(input('MRN-OK'));
    clock += 850_000; // the token lasts 900 s; renewed in its last 60 s
    await sink.record(input('MRN-OK'));
    expect([router.state.logins, router.state.refreshes]).toEqual([1, 1]);
    expect(router.state.lastAuthorization).toBe('Bearer access-2');
  });

  it('gets a new token and tries once more when the graph answers UNAUTHENTICATED', async () => {
    const sink = sinkFor();
    await sink.record(input('MRN-OK'));
    router.state.valid.clear(); // the keys rotated, or the token was revoked
    await expect(sink.record(input('MRN-OK'))).resolves.toEqual({ duplicate: false, stored: 2 });
    expect(router.state.refreshes).toBe(1);
    expect(router.state.lastAuthorization).toBe('Bearer access-2');
  });

  it('logs in again when the refresh token is refused', async () => {
    const sink = sinkFor();
    await sink.record(input('MRN-OK'));
    router.state.valid.clear();
    router.state.refreshTokens.clear();
    await expect(sink.record(input('MRN-OK'))).resolves.toEqual({ duplicate: false, stored: 2 });
    expect([router.state.logins, router.state.refreshes]).toEqual([2, 1]);
  });

  it('is unavailable, not content, when its own login is refused', async () => {
    const failure = await failureOf(sinkFor({ password: 'wrong' }).record(input('MRN-OK')));
    expect([failure.kind, failure.details.code]).toEqual(['unavailable', 'UNAUTHENTICATED']);
    expect(router.state.graphCalls).toBe(0);
  });

  it('is unavailable when even a fresh token is refused', async () => {
    const sink = sinkFor();
    await sink.record(input('MRN-OK'));
    router.state.valid.clear();
    router.state.tokensWork = false;
    const failure = await failureOf(sink.record(input('MRN-OK')));
    expect([failure.kind, failure.details.code]).toEqual(['unavailable', 'UNAUTHENTICATED']);
  });

  it('shares one login among calls made at once', async () => {
    const sink = sinkFor();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => sink.record(input('MRN-OK'))));
    expect(outcomes.every((outcome) => outcome.stored === 2)).toBe(true);
    expect(router.state.logins).toBe(1);
  });

  it('shares one refresh among calls made at once (a refresh token is spent on use)', async () => {
    const sink = sinkFor();
    await sink.record(input('MRN-OK'));
    clock += 899_000;
    await Promise.all(Array.from({ length: 10 }, () => sink.record(input('MRN-OK'))));
    expect([router.state.logins, router.state.refreshes]).toEqual([1, 1]);
  });
});
