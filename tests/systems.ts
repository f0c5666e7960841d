import { infraEnv } from '@hsg/infra';
import { silentLogger } from '@hsg/kit';
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
  stop(): Promise<void>;
}

/** `npm start`'s mode, in this process, in memory, on free ports. */
export async function embeddedSystem(): Promise<RunningSystem> {
  const system = await startEmbedded({
    ports: anyPorts(),
    demoData: false,
    logger: silentLogger(),
    admin: testAdmin,
  });
  return {
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
export async function realSystem(): Promise<RunningSystem> {
  const schemaPrefix = `${uniqueName('e2e')}_`;
  const system = await startRealMode({
    ports: await freePorts(),
    schemaPrefix,
    quiet: true,
    admin: testAdmin,
  });
  const transport = createKafkaTransport({
    brokers: infraEnv().KAFKA_BROKERS.split(','),
    clientId: 'e2e',
    topicPrefix: system.topicPrefix,
    logger: silentLogger(),
  });
  return {
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
