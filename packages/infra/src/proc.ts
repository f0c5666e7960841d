// Child processes: run a command to completion, start a server in the background with its output in a
// log file, and tell whether a pid is still one of our servers.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { waitUntil } from './wait.ts';

export type RunResult = { code: number; stdout: string; stderr: string };
export type RunOptions = { cwd?: string; input?: string; env?: NodeJS.ProcessEnv };

/** Runs a command to completion and collects its output (never throws for a non-zero exit). */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    // A child that exits without reading its input must not crash us with EPIPE: its exit code tells.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input);
  });
}

/** Like run(), but throws with the tail of the output when the command fails. */
export async function runChecked(
  cmd: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    const output = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result.code}:\n${output}`);
  }
  return result.stdout;
}

export type SpawnLoggedOptions = {
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  detached: boolean;
};

/**
 * Starts a long-running server with stdout+stderr appended to logFile. `detached` puts it in its own
 * session (setsid) so it outlives the CLI and ignores the terminal's Ctrl-C; otherwise it dies with us.
 */
export function spawnLogged(cmd: string, args: readonly string[], options: SpawnLoggedOptions): ChildProcess {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env,
      detached: options.detached,
      stdio: ['ignore', fd, fd],
    });
    child.unref(); // never keep the caller's event loop alive just because a server runs
    return child;
  } finally {
    closeSync(fd); // the child holds its own copy of the descriptor
  }
}

/**
 * True when pid runs and its command line mentions `marker` (a path of ours), so a recycled pid of
 * some other program is never mistaken for our server. Zombies count as dead: PID 1 on this kind of
 * machine does not reap orphans, so an exited detached server can linger as one.
 */
export function isOurProcess(pid: number | undefined, marker: string): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** The positive integer on line `index` (0-based) of a pid file, or undefined when missing/garbled. */
export async function readPidFile(file: string, index = 0): Promise<number | undefined> {
  try {
    const value = Number.parseInt((await readFile(file, 'utf8')).split('\n')[index] ?? '', 10);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, wait up to timeoutMs for a clean exit, then SIGKILL. Resolves once the pid is gone. */
export async function terminate(pid: number, marker: string, timeoutMs = 30_000): Promise<void> {
  const gone = (): boolean => !isOurProcess(pid, marker);
  if (gone()) return;
  process.kill(pid, 'SIGTERM');
  try {
    await waitUntil(`pid ${pid} to exit`, gone, { timeoutMs, intervalMs: 50 });
  } catch {
    if (!gone()) process.kill(pid, 'SIGKILL');
    await waitUntil(`pid ${pid} to exit after SIGKILL`, gone, { timeoutMs: 10_000, intervalMs: 50 });
  }
}

/** The last lines of a log file, for error messages. */
export async function logTail(file: string, lines = 20): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log yet)';
  }
}
