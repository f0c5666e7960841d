import { Writable } from 'node:stream';
import { infraEnv } from '@hsg/infra';
import { createLogger, silentLogger } from '@hsg/kit';
import { type CloudEvent, createKafkaTransport } from '@hsg/kit/events';
import { anyPorts, startEmbedded } from '@hsg/launcher';
import { dropRealModeStores, freePorts, startRealMode } from '@hsg/launcher/real';
import { collectEvents, sessions, testAdmin, uniqueName } from '@hsg/testing';

/** The running system as a test sees it: the router's URL, its users, and the domain topics. */
export interface RunningSystem {
  routerUrl: string;
  /** Authorization headers of a user with that role (created by the test's ADMIN on first use). */
  as: ReturnType<typeof sessions>;
  /** Records of `topic` whose subject is `subject`, read from the beginning by a fresh group. */
  eventsFor(topic: string, subject: string, atLeast: number): Promise<CloudEvent[]>;
  /** Every log line the system wrote so far (only with `captureLogs`; else none). */
  logs(): string[];
  stop(): Promise<void>;
}

export interface SystemOptions {
  /** Keep every log line at this level and above (each part's LOG_LEVEL); without it, logs are dropped. */
  captureLogs?: 'debug' | 'info';
}

/** `npm start`'s mode, in this process, in memory, on free ports. */
export async function embeddedSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const lines: string[] = [];
  const logger = options.captureLogs
    ? createLogger({
        service: 'embedded',
        level: options.captureLogs,
        destination: new Writable({
          write(chunk, _encoding, done) {
            lines.push(...String(chunk).split('\n').filter(Boolean));
            done();
          },
        }),
      })
    : silentLogger();
  const system = await startEmbedded({ ports: anyPorts(), demoData: false, logger, admin: testAdmin });
  return {
    logs: () => [...lines],
    routerUrl: system.routerUrl,
    as: sessions(system.routerUrl),
    eventsFor: (topic, subject, atLeast) =>
      collectEvents(system.transport, topic, subject, atLeast).then((found) =>
        found.map(({ event }) => event),
      ),
    stop: system.stop,
  };
}

/** Real mode: each part its own process on the real Postgres, MariaDB and Kafka, in schemas of this run's own. */
export async function realSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const schemaPrefix = `${uniqueName('e2e')}_`;
  const lines: string[] = [];
  const system = await startRealMode({
    ports: await freePorts(),
    schemaPrefix,
    quiet: true,
    admin: testAdmin,
    ...(options.captureLogs
      ? {
          env: { LOG_LEVEL: options.captureLogs },
          onOutput: (_part: string, line: string) => lines.push(line),
        }
      : {}),
  });
  const transport = createKafkaTransport({
    brokers: infraEnv().KAFKA_BROKERS.split(','),
    clientId: 'e2e',
    topicPrefix: system.topicPrefix,
    logger: silentLogger(),
  });
  return {
    logs: () => [...lines],
    routerUrl: system.routerUrl,
    as: sessions(system.routerUrl),
    eventsFor: (topic, subject, atLeast) =>
      collectEvents(transport, topic, subject, atLeast).then((found) => found.map(({ event }) => event)),
    async stop() {
      await transport.close();
      await system.stop();
      await dropRealModeStores(schemaPrefix);
    },
  };
}
