/**
 * The router side by side with stock @apollo/gateway (bench/stock-gateway.ts) over the same subgraphs, in
 * one run: alternating reps (router, stock, router, stock, …) of the same autocannon load, each with the
 * CPU its process spent (utime + stime from /proc/<pid>/stat) per request.
 */
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { type ManagedProcess, runProcess } from '../launcher/src/processes.ts';

export interface Operation {
  name: string;
  /** The JSON POST body. */
  body: string;
  /** Whether a response body is the right answer (a 200 with the expected data and no errors). */
  verify: (text: string) => boolean;
  /** Sent with every request (the caller's Authorization). */
  headers?: Record<string, string>;
}

export const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

/** One autocannon run; latencies come from its per-response event (float ms; its histogram keeps whole ms). */
export function cannon(
  url: string,
  operation: Operation,
  load: { connections: number; duration?: number; amount?: number },
): Promise<{ result: autocannon.Result; latencies: number[] }> {
  let badBody: string | undefined;
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...operation.headers },
        body: operation.body,
        connections: load.connections,
        pipelining: 1,
        ...(load.amount ? { amount: load.amount } : { duration: load.duration ?? 1 }),
        verifyBody: (body) => {
          const text = String(body);
          const ok = operation.verify(text);
          if (!ok) badBody ??= text;
          return ok;
        },
      },
      (error, result) => {
        if (error) return reject(error);
        const failed = result.errors + result.non2xx + result.mismatches;
        if (failed > 0 || result['2xx'] === 0) {
          return reject(
            new Error(
              `${operation.name} at ${url}: of ${result['2xx'] + result.non2xx} responses, ${result.non2xx} not 2xx and ` +
                `${result.mismatches} with errors or without the expected data; ${result.errors} connection errors ` +
                `(${result.timeouts} timeouts)` +
                (badBody ? `; first bad body: ${badBody.slice(0, 500)}` : ''),
            ),
          );
        }
        resolve({ result, latencies });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode === 200) latencies.push(responseTime);
    });
  });
}

// --- /proc (Linux) --------------------------------------------------------------------------------------

export const clockTicks = 100; // USER_HZ on Linux

/** utime + stime of a process, in clock ticks; undefined without /proc or once it has gone. */
export function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}

/** pids of this process's children whose command line contains `script`. */
export function childPids(script: string): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(script)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Busy ticks of the whole machine (all cores): everything in /proc/stat's cpu line but idle and iowait. */
export function machineBusyTicks(): number | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9);
    return fields
      .map(Number)
      .reduce((sum, ticks, index) => (index === 3 || index === 4 ? sum : sum + ticks), 0);
  } catch {
    return undefined;
  }
}

const infraCommands = new Set(['postgres', 'mariadbd', 'java']); // the stores and Kafka the parts use

/**
 * Ticks of everything this benchmark runs on: this process and its descendants (router, stock, subgraphs),
 * and the infrastructure servers. The machine's busy ticks minus these are other people's work.
 */
export function benchmarkTicks(): number {
  const parents = new Map<number, number>();
  const infra: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (infraCommands.has(comm)) infra.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const ours = (pid: number): boolean => {
    for (let at: number | undefined = pid, depth = 0; at !== undefined && at > 1 && depth < 20; depth++) {
      if (at === process.pid) return true;
      at = parents.get(at);
    }
    return false;
  };
  let total = 0;
  for (const pid of parents.keys()) if (ours(pid) || infra.includes(pid)) total += processTicks(pid) ?? 0;
  return total;
}

// --- the stock gateway ------------------------------------------------------------------------------------

export interface StockGateway {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/stock-gateway.ts as its own process over the given subgraph URLs; resolves once it answers. */
export async function startStockGateway(
  port: number,
  subgraphUrls: Record<string, string>,
): Promise<StockGateway> {
  const part: ManagedProcess = runProcess(
    'stock',
    'bench/stock-gateway.ts',
    {
      PORT: String(port),
      SUBGRAPH_URLS: JSON.stringify(subgraphUrls),
      // Stock but quiet: the gateway would otherwise send host metrics to Apollo from the benchmark.
      APOLLO_TELEMETRY_DISABLED: 'true',
    },
    true,
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (part.child.exitCode !== null)
      throw new Error(`stock gateway exited with code ${part.child.exitCode}`);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await part.stop();
      throw new Error(`stock gateway did not answer at ${url} within 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, pid: part.child.pid ?? 0, stop: () => part.stop() };
}

// --- side by side -----------------------------------------------------------------------------------------

export interface Target {
  name: 'router' | 'stock';
  url: string;
  pid: number;
}

export interface Rep {
  operation: string;
  target: Target['name'];
  rep: number;
  rps: number;
  p50: number;
  p99: number;
  /** CPU the target's process spent per answered request, ms (undefined without /proc). */
  cpuMs: number | undefined;
  /** CPU used meanwhile by processes outside this benchmark and its stores, % of one core. */
  outside: number | undefined;
}

/**
 * Warms each target up once, then `reps` alternating loaded runs: router, stock, router, stock, …, each
 * `durationS` with `connections` connections.
 */
export async function versusStock(
  operation: Operation,
  targets: [Target, Target],
  {
    connections,
    durationS,
    warmupS,
    reps,
  }: { connections: number; durationS: number; warmupS: number; reps: number },
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<Rep[]> {
  for (const target of targets) {
    if (warmupS > 0) await cannon(target.url, operation, { connections, duration: warmupS });
  }
  const measured: Rep[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    for (const target of targets) {
      log(
        `${operation.name} ${target.name} rep ${rep}/${reps}: ${durationS} s × ${connections} connections…`,
      );
      const started = performance.now();
      const [busyBefore, oursBefore] = [machineBusyTicks(), benchmarkTicks()];
      const before = processTicks(target.pid);
      const { result, latencies } = await cannon(target.url, operation, { connections, duration: durationS });
      const after = processTicks(target.pid);
      const [busyAfter, oursAfter] = [machineBusyTicks(), benchmarkTicks()];
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const answered = result['2xx'];
      measured.push({
        operation: operation.name,
        target: target.name,
        rep,
        rps: answered / result.duration,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        cpuMs:
          before === undefined || after === undefined
            ? undefined
            : (((after - before) / clockTicks) * 1000) / answered,
        outside:
          busyBefore === undefined || busyAfter === undefined
            ? undefined
            : Math.max(0, ((busyAfter - busyBefore - (oursAfter - oursBefore)) / clockTicks / seconds) * 100),
      });
    }
  }
  return measured;
}

/** The reps as a table, then per operation router/stock: RPS and CPU per request, per rep pair and overall. */
export function formatVersus(reps: Rep[], header: string): string {
  const fmt = (value: number | undefined, digits = 2, width = 9) =>
    (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits)).padStart(width);
  let out =
    `${header}\n(outside: CPU other people's processes used meanwhile, % of one core; high values make that rep noise)\n` +
    'operation            target  rep       RPS   p50 ms   p99 ms  CPU ms/req  outside\n';
  for (const r of reps) {
    out += `${r.operation.padEnd(21)}${r.target.padEnd(8)}${String(r.rep).padStart(3)}${fmt(r.rps, 0, 10)}${fmt(r.p50)}${fmt(r.p99, 1)}${fmt(r.cpuMs, 3, 12)}${r.outside === undefined ? '      n/a' : `${r.outside.toFixed(0)}%`.padStart(9)}\n`;
  }
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  out += '\nrouter/stock (target: RPS ≥ 1.00×, CPU ms/request ≤ 1.00×)\n';
  for (const operation of new Set(reps.map((r) => r.operation))) {
    const of = (target: Target['name']) =>
      reps.filter((r) => r.operation === operation && r.target === target);
    const router = of('router');
    const stock = of('stock');
    const pairs = router
      .map((r, i) => [r, stock[i]] as const)
      .filter((pair): pair is [Rep, Rep] => !!pair[1]);
    const rpsRatios = pairs.map(([r, s]) => r.rps / s.rps);
    const cpuRatios = pairs.flatMap(([r, s]) =>
      r.cpuMs !== undefined && s.cpuMs !== undefined ? [r.cpuMs / s.cpuMs] : [],
    );
    const rpsTotal = mean(router.map((r) => r.rps)) / mean(stock.map((r) => r.rps));
    const cpuTotal =
      cpuRatios.length > 0
        ? mean(router.map((r) => r.cpuMs ?? 0)) / mean(stock.map((r) => r.cpuMs ?? 0))
        : Number.NaN;
    out +=
      `${operation.padEnd(21)}RPS ${rpsTotal.toFixed(2)}× (reps ${rpsRatios.map((x) => x.toFixed(2)).join(' ')}), ` +
      `CPU/request ${Number.isNaN(cpuTotal) ? 'n/a' : `${cpuTotal.toFixed(2)}×`} (reps ${cpuRatios.map((x) => x.toFixed(2)).join(' ')}); ` +
      `p50 ${mean(router.map((r) => r.p50)).toFixed(2)} vs ${mean(stock.map((r) => r.p50)).toFixed(2)} ms, ` +
      `p99 ${mean(router.map((r) => r.p99)).toFixed(1)} vs ${mean(stock.map((r) => r.p99)).toFixed(1)} ms\n`;
  }
  return out;
}
