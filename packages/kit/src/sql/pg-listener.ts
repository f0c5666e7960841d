import { Mutex } from 'async-mutex';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { type BackoffOptions, backoffDelay } from '../retry.ts';
import { quoteIdentifier } from './postgres-common.ts';

/** Reconnect delays of the LISTEN connection: 100 ms doubling to 5 s, jittered. */
export const listenReconnectBackoff: BackoffOptions = { initialMs: 100, maxMs: 5_000 };

export interface PgListener {
  /** See SqlDatabase.listen. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /** Ends the connection; no reconnect afterwards, and later listen() calls fail. */
  close(): Promise<void>;
}

type Subscription = { onNotify: () => void };
type Connection = { client: pg.Client; alive: boolean };

/**
 * One dedicated session (LISTEN cannot use a pooled connection) carrying every channel of a database.
 * When the session is lost (server restart, failover, network), it reconnects with backoff, LISTENs to
 * every channel again and then calls every subscriber once: notifications sent while it was away are
 * lost, so subscribers re-read their store. Opened with the first subscriber, ended with the last.
 */
export function createPgListener(options: {
  connection: pg.ClientConfig;
  logger: Logger;
  backoff?: BackoffOptions;
}): PgListener {
  const { logger } = options;
  const backoff = options.backoff ?? listenReconnectBackoff;
  const channels = new Map<string, Set<Subscription>>();
  const lock = new Mutex(); // one connect, LISTEN or UNLISTEN at a time
  let current: Connection | undefined;
  let connecting: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;
  let lostAt: number | undefined;
  let closed = false;

  function notifyAll(subscriptions: Iterable<Subscription>): void {
    for (const { onNotify } of [...subscriptions]) {
      try {
        onNotify();
      } catch (error) {
        logger.warn({ err: error }, 'listen subscriber threw');
      }
    }
  }

  /** Connects and LISTENs to every channel; the connection is current only once the caller sets it. */
  async function open(): Promise<Connection> {
    const client = new pg.Client({
      ...options.connection,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000, // so that a silently dropped session ends eventually
      connectionTimeoutMillis: 10_000,
    });
    const connection: Connection = { client, alive: true };
    client.on('error', (error) => lose(connection, error));
    client.on('end', () => lose(connection));
    client.on('notification', (message) => notifyAll(channels.get(message.channel) ?? []));
    connecting = client;
    try {
      await client.connect();
      for (const channel of channels.keys()) await client.query(`listen ${quoteIdentifier(channel)}`);
      if (closed) throw new Error('listener closed');
    } catch (error) {
      connection.alive = false;
      await client.end().catch(() => {});
      throw error;
    } finally {
      connecting = undefined;
    }
    return connection;
  }

  /** Makes `connection` current; when it already died, goes straight to reconnecting. */
  function adopt(connection: Connection): void {
    current = connection;
    if (!connection.alive) lose(connection);
  }

  function lose(connection: Connection, error?: Error): void {
    connection.alive = false;
    if (current !== connection) return; // still opening (open() sees it fail), or already handled
    current = undefined;
    connection.client.end().catch(() => {});
    if (closed || channels.size === 0) return;
    lostAt = Date.now();
    logger.warn({ err: error, channels: [...channels.keys()] }, 'listen connection lost; reconnecting');
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || retry || channels.size === 0) return;
    retry = setTimeout(
      () => {
        retry = undefined;
        void reconnect();
      },
      backoffDelay(failures + 1, backoff),
    );
    retry.unref(); // a process on its way out is not kept alive for this
  }

  function stopReconnecting(): void {
    clearTimeout(retry);
    retry = undefined;
    failures = 0;
    lostAt = undefined;
  }

  async function reconnect(): Promise<void> {
    const restored = await lock.runExclusive(async () => {
      if (closed || current || channels.size === 0) return false;
      try {
        adopt(await open());
      } catch (error) {
        failures += 1;
        logger.debug({ err: error, failures }, 'listen reconnect failed');
        scheduleReconnect();
        return false;
      }
      const downMs = lostAt === undefined ? undefined : Date.now() - lostAt;
      logger.info(
        { channels: [...channels.keys()], attempts: failures + 1, downMs },
        'listen connection restored',
      );
      failures = 0;
      lostAt = undefined;
      return true;
    });
    if (restored) notifyAll([...channels.values()].flatMap((subscriptions) => [...subscriptions]));
  }

  async function unsubscribe(channel: string, subscription: Subscription): Promise<void> {
    await lock.runExclusive(async () => {
      const subscriptions = channels.get(channel);
      if (!subscriptions?.delete(subscription) || subscriptions.size > 0) return;
      channels.delete(channel);
      const connection = current;
      if (channels.size === 0) {
        stopReconnecting();
        current = undefined;
        await connection?.client.end().catch(() => {});
      } else if (connection) {
        await connection.client.query(`unlisten ${quoteIdentifier(channel)}`).catch(() => {});
      }
    });
  }

  return {
    async listen(channel, onNotify) {
      const subscription: Subscription = { onNotify };
      const quoted = quoteIdentifier(channel);
      await lock.runExclusive(async () => {
        if (closed) throw new Error('cannot listen: the database is closed');
        const subscriptions = channels.get(channel);
        if (subscriptions) {
          subscriptions.add(subscription);
          return;
        }
        const idle = channels.size === 0;
        channels.set(channel, new Set([subscription]));
        if (current) {
          const connection = current;
          // A failure here is a lost session: the reconnect LISTENs to this channel too.
          await connection.client.query(`listen ${quoted}`).catch((error: Error) => lose(connection, error));
        } else if (idle) {
          // First subscriber: connecting now, so that a bad URL or a server that is down fails the call.
          try {
            adopt(await open());
          } catch (error) {
            channels.delete(channel);
            throw error;
          }
        } // else reconnecting (a retry is pending or waits for this lock): it LISTENs to this channel too
      });
      let unsubscribed: Promise<void> | undefined;
      return () => {
        unsubscribed ??= unsubscribe(channel, subscription);
        return unsubscribed;
      };
    },
    async close() {
      closed = true;
      stopReconnecting();
      connecting?.end().catch(() => {}); // an attempt in flight fails at once
      await lock.runExclusive(async () => {
        const connection = current;
        current = undefined;
        channels.clear();
        await connection?.client.end().catch(() => {});
      });
    },
  };
}
