import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { silentLogger } from '@hsg/kit';
import { sendJson } from '@hsg/kit/http';
import { graphqlPost } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRouter, type Router, type RouterFeature } from '../src/router.ts';
import {
  composeTestSupergraph,
  startTestRouter,
  startTestSubgraphs,
  type TestSubgraph,
} from './test-subgraphs.ts';

declare module '../src/context.ts' {
  interface RouterContext {
    /** Added by the test's feature from the caller's x-request-id. */
    requestId?: string;
  }
}

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A FHIR-like facade: a route with a parameter that runs its operation through the gateway. */
const fhirFeature: RouterFeature = {
  name: 'fhir',
  setup(host) {
    host.route({
      method: 'GET',
      path: '/fhir/Person/:id',
      handler: async (request, response, params) => {
        const result = await host.execute<{ person: { id: string; name: string } | null }>(
          'query ($id: ID!) { person(id: $id) { id name } }',
          { id: params.id },
          {
            authorization: request.headers.authorization,
            traceparent: request.headers.traceparent as string,
          },
        );
        if (!result.data?.person) return sendJson(response, 404, { resourceType: 'OperationOutcome' });
        sendJson(response, 200, {
          resourceType: 'Person',
          id: result.data.person.id,
          name: result.data.person.name,
        });
      },
    });
    // A prefix: everything else under /fhir/.
    host.route({
      path: '/fhir/*',
      handler: (request, response, params) =>
        sendJson(response, 501, { method: request.method, rest: params['*'] }),
    });
  },
};

/** Adds a context field from a header, and an Apollo plugin that reports it in the response's extensions. */
const requestIdFeature: RouterFeature = {
  name: 'request-id',
  setup(host) {
    host.context(({ headers }) => {
      const value = headers['x-request-id'];
      return typeof value === 'string' ? { requestId: value } : undefined;
    });
    host.plugin({
      async requestDidStart() {
        return {
          async willSendResponse({ contextValue, response }) {
            if (response.body.kind === 'single' && contextValue.requestId !== undefined) {
              response.body.singleResult.extensions = { requestId: contextValue.requestId };
            }
          },
        };
      },
    });
  },
};

/** Takes WebSocket upgrades on /live/:room: a bare RFC 6455 handshake, then one text frame naming the room. */
const upgrades: string[] = [];
let stopped = false;
const liveFeature: RouterFeature = {
  name: 'live',
  setup(host) {
    host.upgrade({
      path: '/live/:room',
      handler: (request, socket, _head, params) => {
        upgrades.push(params.room ?? '');
        const accept = createHash('sha1')
          .update(`${request.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        const payload = Buffer.from(`hello ${params.room}`);
        socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
        socket.on('data', () => socket.destroy()); // the client's close frame
      },
    });
    return {
      stop: () => {
        stopped = true;
      },
    };
  },
};

describe('router features', () => {
  let people: TestSubgraph;
  let visits: TestSubgraph;
  let router: Router;
  let base: string;

  beforeAll(async () => {
    ({ people, visits } = await startTestSubgraphs());
    ({ router, base } = await startTestRouter([people, visits], {
      features: [fhirFeature, requestIdFeature, liveFeature],
    }));
  }, 30_000);
  afterAll(async () => {
    await router.stop();
    await Promise.all([people.stop(), visits.stop()]);
    expect(stopped).toBe(true);
  });

  it('routes a path parameter to the feature that runs the operation through the gateway', async () => {
    const response = await fetch(`${base}/fhir/Person/p7`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ resourceType: 'Person', id: 'p7', name: 'Person p7' });
  });

  it('routes everything under a prefix, with the rest of the path as a parameter', async () => {
    const response = await fetch(`${base}/fhir/Observation/o1/_history?x=1`, { method: 'DELETE' });
    expect(response.status).toBe(501);
    expect(await response.json()).toEqual({ method: 'DELETE', rest: 'Observation/o1/_history' });
    // A parameter route takes only its method; other methods fall through to the prefix.
    expect((await fetch(`${base}/fhir/Person/p7`, { method: 'PUT' })).status).toBe(501);
  });

  it('still answers 404 for a path no feature routes', async () => {
    const response = await fetch(`${base}/nowhere`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not found' });
  });

  it("execute() forwards the caller's authorization and trace context to every subgraph", async () => {
    people.received.length = 0;
    visits.received.length = 0;
    const result = await router.execute(
      '{ person(id: "p8") { id visits { id } } }',
      {},
      { Authorization: 'Bearer feature-token', traceparent },
    );
    expect(result).toEqual({ data: { person: { id: 'p8', visits: [{ id: 'v-p8' }] } } });
    for (const subgraph of [people, visits]) {
      expect(subgraph.received).toHaveLength(1);
      expect(subgraph.received[0]).toMatchObject({ authorization: 'Bearer feature-token', traceparent });
    }

    people.received.length = 0;
    await fetch(`${base}/fhir/Person/p9`, { headers: { authorization: 'Bearer via-route', traceparent } });
    expect(people.received).toHaveLength(1);
    expect(people.received[0]).toMatchObject({ authorization: 'Bearer via-route', traceparent });
  });

  it('execute() answers GraphQL errors in the result, formatted like over HTTP', async () => {
    const result = await router.execute('{ forbidden }');
    expect(result.errors?.[0]).toMatchObject({
      message: 'Not your record',
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it("adds a feature's context field to every operation, over HTTP and through execute()", async () => {
    const { body } = await graphqlPost(
      `${base}/graphql`,
      '{ person(id: "p1") { id } }',
      {},
      { 'x-request-id': 'r-1' },
    );
    expect(body).toMatchObject({ data: { person: { id: 'p1' } }, extensions: { requestId: 'r-1' } });
    const result = await router.execute('{ person(id: "p1") { id } }', {}, { 'X-Request-Id': 'r-2' });
    expect(result.extensions).toEqual({ requestId: 'r-2' });
  });

  it("hands a WebSocket upgrade on its path to the feature's handler", async () => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/live/ward-3`);
    const message = await new Promise<string>((resolve, reject) => {
      socket.addEventListener('message', (event) => resolve(String(event.data)));
      socket.addEventListener('error', () => reject(new Error('WebSocket failed')));
    });
    socket.close();
    expect(message).toBe('hello ward-3');
    expect(upgrades).toEqual(['ward-3']);
  });

  it('refuses a WebSocket upgrade on a path no feature takes', async () => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`);
    const outcome = await new Promise<string>((resolve) => {
      socket.addEventListener('open', () => resolve('open'));
      socket.addEventListener('error', () => resolve('error'));
    });
    expect(outcome).toBe('error');
    expect(upgrades).toEqual(['ward-3']);
  });

  it('refuses a second route for the same method and path', () => {
    expect(() =>
      createRouter({
        supergraphSdl: composeTestSupergraph(),
        logger: silentLogger(),
        subgraphUrls: { people: people.url, visits: visits.url },
        features: [{ name: 'again', setup: (host) => host.route({ path: '/graphql', handler: () => {} }) }],
      }),
    ).toThrow(/graphql/);
  });
});

describe('router stop with a WebSocket still open', () => {
  it('destroys the upgraded socket once the grace period is over', async () => {
    const { people, visits } = await startTestSubgraphs();
    const router = createRouter({
      supergraphSdl: composeTestSupergraph(),
      logger: silentLogger(),
      subgraphUrls: { people: people.url, visits: visits.url },
      features: [liveFeature],
    });
    const port = await router.start(0);
    try {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/live/ward-9`);
      const closed = new Promise((resolve) => socket.addEventListener('close', resolve));
      await new Promise((resolve) => socket.addEventListener('message', resolve));
      // stop() resolves once the 200 ms grace has destroyed the socket (a hang fails on the test timeout).
      await router.stop(200);
      await closed;
      expect(socket.readyState).toBe(WebSocket.CLOSED);
    } finally {
      await Promise.all([people.stop(), visits.stop()]);
    }
  });
});

describe('router request bodies', () => {
  let people: TestSubgraph;
  let visits: TestSubgraph;
  let router: Router;
  let port: number;

  beforeAll(async () => {
    ({ people, visits } = await startTestSubgraphs());
    ({ router, port } = await startTestRouter([people, visits], { maxBodyBytes: 10_000 }));
  }, 30_000);
  afterAll(async () => {
    await router.stop();
    await Promise.all([people.stop(), visits.stop()]);
  });

  const tooLarge = {
    errors: [
      {
        message: 'Request body is larger than 10000 bytes',
        extensions: { code: 'PAYLOAD_TOO_LARGE', retriable: false },
      },
    ],
  };
  const bigQuery = JSON.stringify({ query: `{ person(id: "${'x'.repeat(20_000)}") { id } }` });

  /** A POST to /graphql written by hand: with a Content-Length, or chunked in `chunks` pieces. */
  function post(
    body: string,
    chunked: boolean,
  ): Promise<{ status: number; connection?: string; body: unknown }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          port,
          path: '/graphql',
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(chunked ? {} : { 'content-length': Buffer.byteLength(body) }),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              connection: response.headers.connection,
              body: JSON.parse(text),
            }),
          );
        },
      );
      request.on('error', reject);
      if (chunked) {
        // Streamed in pieces, so the limit is crossed while reading.
        for (let at = 0; at < body.length; at += 1000) request.write(body.slice(at, at + 1000));
        request.end();
      } else {
        request.end(body);
      }
    });
  }

  it('answers 413 with PAYLOAD_TOO_LARGE for a Content-Length over the limit, and closes the connection', async () => {
    const response = await post(bigQuery, false);
    expect(response).toEqual({ status: 413, connection: 'close', body: tooLarge });
  });

  it('answers 413 for a chunked body that grows past the limit', async () => {
    const response = await post(bigQuery, true);
    expect(response).toEqual({ status: 413, connection: 'close', body: tooLarge });
  });

  it('answers 413 to fetch as a GraphQL client reads it, and serves the next request', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bigQuery,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual(tooLarge);
    const { body } = await graphqlPost(`http://127.0.0.1:${port}/graphql`, '{ person(id: "p1") { id } }');
    expect(body).toEqual({ data: { person: { id: 'p1' } } });
  });

  it('serves a body under the limit', async () => {
    const response = await post(JSON.stringify({ query: '{ person(id: "p2") { id } }' }), true);
    expect(response).toMatchObject({ status: 200, body: { data: { person: { id: 'p2' } } } });
  });
});
