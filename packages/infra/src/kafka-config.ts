// The files a single-node KRaft broker reads: server.properties and two log4j configs.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { host } from './config.ts';

export type KafkaFiles = {
  props: string;
  log4j: string;
  toolsLog4j: string;
  clusterId: string;
  dataDir: string;
  logsDir: string;
};

export function kafkaFiles(dir: string): KafkaFiles {
  return {
    props: path.join(dir, 'server.properties'),
    log4j: path.join(dir, 'log4j.properties'),
    toolsLog4j: path.join(dir, 'tools-log4j.properties'),
    clusterId: path.join(dir, 'cluster-id'),
    dataDir: path.join(dir, 'data'),
    logsDir: path.join(dir, 'logs'),
  };
}

function serverProperties(files: KafkaFiles, port: number, controllerPort: number): string {
  return `# Written by packages/infra on every start: edits here are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${host}:${controllerPort}
listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}
advertised.listeners=PLAINTEXT://${host}:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${files.dataDir}
num.partitions=1
# A single node: every internal topic has one replica, and few partitions so it starts fast.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
# New consumer groups join at once instead of after 3 s.
group.initial.rebalance.delay.ms=0
# Topics are created explicitly (admin client), so a typo fails instead of creating a topic.
auto.create.topics.enable=false
`;
}

/** Broker INFO to a rolling file; only WARN and above to stdout (kafka.out). */
function brokerLog4j(logsDir: string): string {
  return `log4j.rootLogger=INFO, file, stdout
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${path.join(logsDir, 'server.log')}
log4j.appender.file.MaxFileSize=10MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.Threshold=WARN
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
`;
}

const TOOLS_LOG4J = `log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
`;

/** Same shape as Kafka's own random-uuid (22 chars of base64url), without paying a JVM start for it. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka avoids ids that look like command-line flags
  }
}

/** (Re)writes the configs: ports may differ from the last run, data and cluster id stay. */
export async function writeKafkaConfig(
  files: KafkaFiles,
  port: number,
  controllerPort: number,
): Promise<void> {
  await writeFile(files.props, serverProperties(files, port, controllerPort));
  await writeFile(files.log4j, brokerLog4j(files.logsDir));
  await writeFile(files.toolsLog4j, TOOLS_LOG4J);
}

/** The cluster id kept in the broker's folder, made on first use. */
export async function clusterId(files: KafkaFiles): Promise<string> {
  const existing = (await readFile(files.clusterId, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const id = newClusterId();
  await writeFile(files.clusterId, `${id}\n`);
  return id;
}
