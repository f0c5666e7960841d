import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@hsg/infra';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves when the process exits on its own (not through stop()), with how it ended. */
  readonly died: Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs one part of the system as its own Node process (the same Node that runs this launcher), its
 * output prefixed with its name so interleaved logs stay readable.
 */
export function runProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  quiet = false,
  /** Every line it writes (stdout and stderr), also when quiet: a test reads the logs of its run. */
  onLine?: (line: string) => void,
): ManagedProcess {
  const child = spawn(process.execPath, [script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (stream: NodeJS.WritableStream) => {
    let partial = ''; // a chunk can end mid-line
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        onLine?.(line);
        if (!quiet) stream.write(`[${name}] ${line}\n`);
      }
    };
  };
  child.stdout?.on('data', prefix(process.stdout));
  child.stderr?.on('data', prefix(process.stderr));
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const died = new Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) resolve({ name, code, signal });
    }),
  );
  return {
    name,
    child,
    died,
    async stop(graceMs = 10_000) {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls an HTTP endpoint until it answers 200, failing early if the process died. */
export function waitForHttp(url: string, process_: ManagedProcess, timeoutMs = 30_000): Promise<void> {
  return waitUntil(
    `${process_.name} to be ready at ${url}`,
    () =>
      fetch(url).then(
        (response) => response.ok,
        () => false,
      ),
    {
      timeoutMs,
      abort: () =>
        process_.child.exitCode === null
          ? undefined
          : new Error(`${process_.name} exited with code ${process_.child.exitCode}`),
    },
  );
}
