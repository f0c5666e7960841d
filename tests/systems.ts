import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { rebuildModel } from '@hsg/analytics';
import { infraEnv } from '@hsg/infra';
import { createLogger, silentLogger } from '@hsg/kit';
import { type CloudEvent, createKafkaTransport } from '@hsg/kit/events';
import { anyPorts, startEmbedded } from '@hsg/launcher';
import { dropRealModeStores, freePorts, startRealMode } from '@hsg/launcher/real';
import { collectEvents, sessions, testAdmin, uniqueName } from '@hsg/testing';

/** The running system as a test sees it: the router's URL, its users, and the domain topics. */
export interface RunningSystem {
  routerUrl: string;
  /** The HL7 bridge's MLLP listener. */
  mllp: { host: string; port: number };
  /** Authorization headers of a user with that role (created by the test's ADMIN on first use). */
  as: ReturnType<typeof sessions>;
  /** Records of `topic` whose subject is `subject`, read from the beginning by a fresh group. */
  eventsFor(topic: string, subject: string, atLeast: number): Promise<CloudEvent[]>;
  /** Every log line the system wrote so far (only with `captureLogs`; else none). */
  logs(): string[];
  /**
   * Drops the analytics read model and replays every topic into it (ADR 0021), resolving once caught up:
   * embedded, in place on the running subgraph's in-memory model; real, `rebuild.ts` as a child process.
   * Answers how many events the replay handled.
   */
  rebuildAnalytics(): Promise<{ handled: number }>;
  stop(): Promise<void>;
}

const rebuildScript = fileURLToPath(new URL('../subgraphs/analytics/src/rebuild.ts', import.meta.url));

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
    mllp: system.mllp,
    as: sessions(system.routerUrl),
    eventsFor: (topic, subject, atLeast) =>
      collectEvents(system.transport, topic, subject, atLeast).then((found) =>
        found.map(({ event }) => event),
      ),
    async rebuildAnalytics() {
      const { handled } = await rebuildModel({
        model: system.subgraphs.analytics.model,
        transport: system.transport,
        logger,
      });
      return { handled };
    },
    stop: system.stop,
  };
}

/** Real mode: each part its own process on the real Postgres, MariaDB and Kafka, in schemas of this run's own. */
export async function realSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const schemaPrefix = `${uniqueName('e2e')}_`;
  const lines: string[] = [];
  const ports = await freePorts();
  const system = await startRealMode({
    ports,
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
    mllp: system.mllp as { host: string; port: number }, // started with an admin: the bridge runs
    as: sessions(system.routerUrl),
    eventsFor: (topic, subject, atLeast) =>
      collectEvents(transport, topic, subject, atLeast).then((found) => found.map(({ event }) => event)),
    async rebuildAnalytics() {
      // Configured as startRealMode configures the analytics subgraph: this run's database and topics.
      const { stdout } = await promisify(execFile)(process.execPath, [rebuildScript], {
        env: {
          ...process.env,
          DATABASE_URL: infraEnv().MONGO_URL,
          DATABASE_NAME: `${schemaPrefix}analytics`,
          KAFKA_BROKERS: infraEnv().KAFKA_BROKERS,
          KAFKA_TOPIC_PREFIX: system.topicPrefix,
          JWKS_URL: `http://127.0.0.1:${ports.identity}/.well-known/jwks.json`,
          LOG_LEVEL: 'info',
        },
        timeout: 120_000,
      });
      // Its log line on success says how many events it replayed (other output is skipped).
      const parsed = (line: string): { msg?: string; handled?: number } => {
        try {
          return JSON.parse(line);
        } catch {
          return {};
        }
      };
      const done = stdout
        .split('\n')
        .map(parsed)
        .find((line) => line.msg === 'analytics model rebuilt');
      if (done?.handled === undefined)
        throw new Error(`analytics rebuild said nothing of its end: ${stdout}`);
      return { handled: done.handled };
    },
    async stop() {
      await transport.close();
      await system.stop();
      await dropRealModeStores(schemaPrefix);
    },
  };
}
