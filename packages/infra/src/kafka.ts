// One launcher for single-node KRaft Kafka brokers, used both for the shared broker of `infra up` and
// for private per-test brokers (startKafkaBroker). Jars come from Maven Central, cached in .infra.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { host, infraDir, packageDir } from './config.ts';
import { clusterId, kafkaFiles, writeKafkaConfig } from './kafka-config.ts';
import { isKafkaServing } from './kafka-probe.ts';
import { ensureMavenLibs } from './maven.ts';
import { waitForPortFree } from './net.ts';
import { isOurProcess, logTail, readPidFile, runChecked, spawnLogged, terminate } from './proc.ts';
import { waitUntil } from './wait.ts';

export const kafkaLibsDir = (): string => path.join(infraDir(), 'kafka', 'libs');

/** Downloads the broker's jars once (≈15 s cold); later calls return at once. */
export function ensureKafkaLibs(): Promise<boolean> {
  const pom = path.join(packageDir, 'kafka', 'pom.xml');
  return ensureMavenLibs(pom, kafkaLibsDir(), path.join(infraDir(), 'kafka', 'maven.log'));
}

// Small serial-GC heap and C1 only: ready in ≈2 s with ≈300 MB RSS. Override for benchmarks.
const DEFAULT_JVM = ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
const jvmFlags = (): string[] =>
  process.env.INFRA_KAFKA_JVM_OPTS?.split(/\s+/).filter(Boolean) ?? DEFAULT_JVM;

export type KafkaNodeOptions = {
  /** Holds config, data and logs of this broker. */
  dir: string;
  port: number;
  controllerPort: number;
  /** true: own session, outlives the caller (the CLI). false: dies with the caller (tests). */
  detached: boolean;
};

export type KafkaNode = {
  brokers: string;
  logFile: string;
  /** The running broker's pid and port (from its pid file), or undefined when not running. */
  running(): Promise<{ pid: number; port: number } | undefined>;
  isServing(): Promise<boolean>;
  start(): Promise<void>;
  stop(): Promise<boolean>;
};

export function kafkaNode(options: KafkaNodeOptions): KafkaNode {
  const { dir, port, controllerPort } = options;
  const files = kafkaFiles(dir);
  const logFile = path.join(files.logsDir, 'server.log');
  const outFile = path.join(dir, 'kafka.out');
  const pidFile = path.join(dir, 'kafka.pid');
  const classpath = `${kafkaLibsDir()}/*`; // Java expands the wildcard itself

  const pid = async (): Promise<number | undefined> => {
    const p = await readPidFile(pidFile);
    return isOurProcess(p, files.props) ? p : undefined;
  };
  const running = async (): Promise<{ pid: number; port: number } | undefined> => {
    const p = await pid();
    return p ? { pid: p, port: (await readPidFile(pidFile, 1)) ?? port } : undefined;
  };
  const isServing = (): Promise<boolean> => isKafkaServing(port);
  const serving = (timeoutMs: number, abort?: () => Error | undefined): Promise<void> =>
    waitUntil(`Kafka on ${host}:${port} to serve`, isServing, { timeoutMs, intervalMs: 200, abort });

  /** Formatting costs a JVM start (≈0.8 s), so it runs only on a fresh data folder. */
  async function formatOnce(): Promise<void> {
    if (existsSync(path.join(files.dataDir, 'meta.properties'))) return;
    const jvm = ['-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
    const log4j = `-Dlog4j.configuration=file:${files.toolsLog4j}`;
    const format = ['format', '-t', await clusterId(files), '-c', files.props, '--ignore-formatted'];
    await runChecked('java', [...jvm, log4j, '-cp', classpath, 'kafka.tools.StorageTool', ...format]);
  }

  async function start(): Promise<void> {
    if (await pid()) return serving(60_000);
    await ensureKafkaLibs();
    await mkdir(files.logsDir, { recursive: true });
    await writeKafkaConfig(files, port, controllerPort);
    await formatOnce();
    const jvm = [...jvmFlags(), '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true'];
    const log4j = `-Dlog4j.configuration=file:${files.log4j}`; // absolute, with file: or nothing is logged
    const args = [...jvm, log4j, '-cp', classpath, 'kafka.Kafka', files.props];
    // A private broker must not outlive its test process, even when the test never calls stop(): the
    // kernel sends it SIGTERM when we die (setpriv execs java, so the pid stays the broker's).
    const [cmd, cmdArgs] = options.detached
      ? ['java', args]
      : ['setpriv', ['--pdeathsig', 'TERM', '--', 'java', ...args]];
    const proc = spawnLogged(cmd, cmdArgs, { logFile: outFile, cwd: dir, detached: options.detached });
    if (proc.pid) await writeFile(pidFile, `${proc.pid}\n${port}\n`); // pid file: pid, port
    let exited: Error | undefined;
    proc.once(
      'exit',
      (code, signal) => (exited = new Error(`Kafka exited (${signal ?? code}) while starting`)),
    );
    try {
      await serving(90_000, () => exited);
    } catch (error) {
      await stop();
      const hint = `(log: ${logFile}, stdout: ${outFile})\n${await logTail(outFile, 10)}`;
      throw new Error(`${(error as Error).message} ${hint}`);
    }
  }

  async function stop(): Promise<boolean> {
    const p = await pid();
    if (p) await terminate(p, files.props, 30_000); // SIGTERM: clean shutdown in ≈1 s, data kept
    await rm(pidFile, { force: true });
    if (!p) return false;
    // Callers restart on the same ports right after: wait until both listeners are really gone.
    await waitForPortFree(port, { timeoutMs: 15_000 });
    await waitForPortFree(controllerPort, { timeoutMs: 15_000 });
    return true;
  }

  return { brokers: `${host}:${port}`, logFile, running, isServing, start, stop };
}
