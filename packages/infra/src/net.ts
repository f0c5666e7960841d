// TCP helpers for health checks and for picking free ports.
import net from 'node:net';
import { type WaitOptions, waitUntil } from './wait.ts';

/** True when something accepts a TCP connection on host:port within timeoutMs. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when we could bind host:port ourselves, i.e. no listener holds it any more. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Ports this process handed out already: never the same one twice. */
const handedOut = new Set<number>();
/** Below Linux's ephemeral range (32768-60999), above the system's default ports (2575, 4000-4109). */
const pickedRange = { from: 20_000, size: 12_000 };

/**
 * A free port for a process that binds it a moment later. Picked at random below the OS's ephemeral
 * range, because that is where every port-0 listener lands: a port the OS handed out (bind 0, release)
 * could be taken by a test's port-0 server before the process binds it, and then the launcher would be
 * probing someone else's server (seen in CI: the router's /auth/login answered by a subgraph).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = pickedRange.from + Math.floor(Math.random() * pickedRange.size);
    if (handedOut.has(port) || !(await isPortFree(port, host))) continue;
    handedOut.add(port);
    return port;
  }
  return osAssignedPort(host);
}

/** A port the OS considers free right now (bind to 0, read it, release it). */
function osAssignedPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

export function waitForPort(port: number, options: WaitOptions & { host?: string } = {}): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  return waitUntil(`${host}:${port} to accept connections`, () => isPortOpen(port, host), options);
}

export function waitForPortFree(port: number, options: WaitOptions & { host?: string } = {}): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  return waitUntil(`${host}:${port} to be released`, () => isPortFree(port, host), options);
}
