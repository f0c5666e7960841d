import { createConnection } from 'node:net';
import { infraEnv } from '@hsg/infra';

/** Fails the integration tier at once, with the fix, when the real servers are not running. */
export default async function checkInfrastructure(): Promise<void> {
  const env = infraEnv();
  const endpoints = {
    postgres: new URL(env.DATABASE_URL),
    mariadb: new URL(env.MYSQL_URL),
    mongo: new URL(env.MONGO_URL),
    kafka: new URL(`kafka://${env.KAFKA_BROKERS.split(',')[0]}`),
  };
  const down: string[] = [];
  for (const [name, url] of Object.entries(endpoints)) {
    if (!(await reachable(url.hostname, Number(url.port)))) down.push(`${name} (${url.host})`);
  }
  if (down.length > 0) {
    throw new Error(
      `Integration tests need real servers; not reachable: ${down.join(', ')}. Run: npm run infra -- up`,
    );
  }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
