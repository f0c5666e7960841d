import { Agent, request } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { createHttpApp, healthRoutes, sendJson } from '../src/http/index.ts';
import { silentLogger } from '../src/index.ts';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

function get(port: number, path: string, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, agent: agent ?? false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, body }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** An app whose /slow answers only when the test lets it, so a request can be in flight on purpose. */
function slowApp(drainDelayMs?: number) {
  let entered: () => void = () => {};
  const inFlight = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const app = createHttpApp(
    {
      '/slow': async (_request, response) => {
        entered();
        await released;
        sendJson(response, 200, { done: true });
      },
      '/fast': (_request, response) => sendJson(response, 200, { fast: true }),
      ...healthRoutes({ store: () => true }),
    },
    silentLogger(),
    drainDelayMs === undefined ? {} : { drainDelayMs },
  );
  return { app, inFlight, release };
}

describe('the HTTP app draining', () => {
  it('finishes an in-flight request, telling its client to close, then stops accepting', async () => {
    const { app, inFlight, release } = slowApp();
    const port = await app.listen(0);
    const agent = new Agent({ keepAlive: true });
    expect(await get(port, '/fast', agent)).toMatchObject({ status: 200, connection: 'keep-alive' });
    const slow = get(port, '/slow', agent);
    await inFlight;
    const closed = app.close(10_000);
    expect(app.draining).toBe(true);
    release();
    expect(await slow).toEqual({ status: 200, connection: 'close', body: '{"done":true}' });
    await closed;
    await expect(get(port, '/fast')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    agent.destroy();
  });

  it('answers /ready with 503 during the drain delay while still serving, and a second close ends it', async () => {
    const { app } = slowApp(60_000);
    const port = await app.listen(0);
    expect(await get(port, '/ready')).toMatchObject({ status: 200 });
    const closed = app.close(1000);
    expect(await get(port, '/ready')).toEqual({
      status: 503,
      connection: 'close',
      body: '{"status":"draining"}',
    });
    expect(await get(port, '/health')).toMatchObject({ status: 200, connection: 'close' });
    expect(await get(port, '/fast')).toMatchObject({ status: 200, connection: 'close' });
    await app.close();
    await closed;
    await expect(get(port, '/ready')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('cuts a request off once the grace period is over', async () => {
    const { app, inFlight, release } = slowApp();
    const port = await app.listen(0);
    const slow = get(port, '/slow');
    await inFlight;
    await app.close(50);
    await expect(slow).rejects.toMatchObject({ code: 'ECONNRESET' });
    release();
  });
});
