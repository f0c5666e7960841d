// The shared broker that `infra up` starts: fixed ports, state in .infra/kafka/broker, outlives the CLI.
import path from 'node:path';
import { infraDir, infraPorts } from './config.ts';
import { kafkaNode } from './kafka.ts';
import { isPortOpen } from './net.ts';
import { portInUse, type Service } from './service.ts';

export const JAVA_PACKAGES = ['openjdk-17-jdk-headless', 'maven'] as const;

export function kafkaService(): Service {
  const { kafka: port, kafkaController: controllerPort } = infraPorts();
  const dir = path.join(infraDir(), 'kafka', 'broker');
  const node = kafkaNode({ dir, port, controllerPort, detached: true });

  async function state() {
    const current = await node.running();
    const running = current !== undefined && (await isPortOpen(current.port));
    return {
      running,
      pid: running ? current?.pid : undefined,
      port: running && current ? current.port : port,
    };
  }

  async function up(): Promise<'started' | 'running'> {
    if ((await state()).running) return 'running';
    for (const p of [port, controllerPort]) if (await isPortOpen(p)) throw portInUse('kafka', p);
    await node.start();
    return 'started';
  }

  return { name: 'kafka', port, logFile: node.logFile, packages: JAVA_PACKAGES, state, up, down: node.stop };
}
