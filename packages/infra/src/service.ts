// What the CLI needs from each of the four servers.
import { createHash } from 'node:crypto';
import path from 'node:path';

export type ServiceName = 'postgres' | 'mariadb' | 'kafka' | 'mongo';

/** `port` is where it listens when running (may differ from the configured one), else the configured one. */
export type ServiceState = { running: boolean; pid: number | undefined; port: number };

export type Service = {
  name: ServiceName;
  port: number;
  /** Where to look when it fails. */
  logFile: string;
  /** Debian packages it needs; the CLI installs the missing ones for all services in one go. */
  packages: readonly string[];
  state(): Promise<ServiceState>;
  /** Provisions and starts it if needed, then waits until it serves. 'running' when it already was. */
  up(): Promise<'started' | 'running'>;
  /** Stops it if it runs from our state folder; false when there was nothing to stop. */
  down(): Promise<boolean>;
};

/**
 * A unix socket path must fit in 107 bytes. Keep the socket in `preferred` when it fits, else in a
 * short /tmp folder named after a hash of `preferred` (stable, so clients find it again).
 */
export function socketDirFor(preferred: string, socketName: string): string {
  if (path.join(preferred, socketName).length <= 100) return preferred;
  const hash = createHash('sha256').update(preferred).digest('hex').slice(0, 12);
  return `/tmp/infra-${hash}`;
}

export function portInUse(name: string, port: number): Error {
  return new Error(`${name}: port ${port} is already in use by another process (set another port via env)`);
}
