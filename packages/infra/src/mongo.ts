// A MongoDB-wire stand-in for tests: mongo-java-server (in-memory) behind a small Java launcher.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { host, infraDir, infraPorts, packageDir } from './config.ts';
import { JAVA_PACKAGES } from './kafka-service.ts';
import { ensureMavenLibs } from './maven.ts';
import { isPortOpen, waitForPort } from './net.ts';
import { isOurProcess, logTail, readPidFile, runChecked, spawnLogged, terminate } from './proc.ts';
import { portInUse, type Service } from './service.ts';

export function mongoService(): Service {
  const port = infraPorts().mongo;
  const base = path.join(infraDir(), 'mongo');
  const libsDir = path.join(base, 'libs');
  const classesDir = path.join(base, 'classes');
  const source = path.join(packageDir, 'mongo', 'MongoWireServer.java');
  const pidFile = path.join(base, 'mongo.pid');
  const logFile = path.join(base, 'mongo.log');
  const classpath = `${libsDir}/*:${classesDir}`;

  async function state() {
    const p = await readPidFile(pidFile);
    const actualPort = (await readPidFile(pidFile, 1)) ?? port; // pid file: pid, port
    const running = isOurProcess(p, classesDir) && (await isPortOpen(actualPort));
    return { running, pid: running ? p : undefined, port: running ? actualPort : port };
  }

  /** javac costs ≈3 s: compile only when the launcher's source changed since the last build. */
  async function ensureCompiled(): Promise<void> {
    const hash = createHash('sha256')
      .update(await readFile(source))
      .digest('hex');
    const stamp = path.join(classesDir, '.source-sha256');
    if ((await readFile(stamp, 'utf8').catch(() => '')) === hash) return;
    await rm(classesDir, { recursive: true, force: true });
    await mkdir(classesDir, { recursive: true });
    await runChecked('javac', ['-cp', `${libsDir}/*`, '-d', classesDir, source]);
    await writeFile(stamp, hash);
  }

  async function up(): Promise<'started' | 'running'> {
    if ((await state()).running) return 'running';
    if (await isPortOpen(port)) throw portInUse('mongo', port);
    await mkdir(base, { recursive: true });
    await ensureMavenLibs(path.join(packageDir, 'mongo', 'pom.xml'), libsDir, path.join(base, 'maven.log'));
    await ensureCompiled();
    // A capped serial-GC heap keeps it near 64 MB idle (uncapped it grows past 400 MB). It keeps every
    // document in that heap: 128 MB ran out at 100,000 analytics events (facts, markers and buckets).
    const jvm = ['-Xmx768m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];
    // slf4j-simple: timestamps, and no INFO line for every client connect/close (health checks too).
    const logging = [
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
      '-Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire=warn',
    ];
    const args = [...jvm, ...logging, '-cp', classpath, 'MongoWireServer', host, String(port)];
    const child = spawnLogged('java', args, { logFile, detached: true });
    if (child.pid) await writeFile(pidFile, `${child.pid}\n${port}\n`);
    let exited: Error | undefined;
    child.once('exit', (code) => (exited = new Error(`mongo exited with ${code} while starting`)));
    try {
      await waitForPort(port, { timeoutMs: 60_000, abort: () => exited });
    } catch (error) {
      throw new Error(`${(error as Error).message} (log: ${logFile})\n${await logTail(logFile, 10)}`);
    }
    return 'started';
  }

  async function down(): Promise<boolean> {
    const p = await readPidFile(pidFile);
    if (!p || !isOurProcess(p, classesDir)) return false;
    await terminate(p, classesDir, 15_000);
    await rm(pidFile, { force: true });
    return true;
  }

  return { name: 'mongo', port, logFile, packages: JAVA_PACKAGES, state, up, down };
}
