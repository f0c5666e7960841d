/**
 * Abuse: does one client's huge operation stall everybody else? Real mode (each part its own process on the
 * real Postgres, MariaDB and Kafka), the router side by side with stock @apollo/gateway over the same
 * subgraphs, in one run.
 * 1. The 10,000-alias operation alone, R times: how long the router takes to refuse it (p50, max).
 * 2. A plain `patients(first: 1)` one request after another for D s: p50, p99, with nobody else, then
 *    while A clients each send abusive operations back to back (10,000 aliases, depth 50, a 100×100
 *    fan-out, 2,000 root fields), against the router and then against stock.
 * Stock answers the abuse, slowly; its requests in flight when a window ends are abandoned, and a plain
 * request that takes longer than the window counts at the window's length (so its p99 is a lower bound).
 * Needs `npm run infra -- up`. Usage:
 *   node bench/abuse.ts [-- --duration 10 --abusers 4 --refusals 50]
 */
import { parseArgs } from 'node:util';
import { freePort } from '@hsg/infra';
import { sessions, testAdmin, uniqueName } from '@hsg/testing';
import { dropRealModeStores, freePorts, startRealMode } from '../launcher/src/real.ts';
import { type SubgraphName, subgraphParts } from '../launcher/src/registry.ts';
import { percentile, startStockGateway } from './stock.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    abusers: { type: 'string', default: '4' },
    refusals: { type: 'string', default: '50' },
  },
});
const durationMs = Number(values.duration) * 1000;
const abusers = Number(values.abusers);
const refusals = Number(values.refusals);
process.env.LOG_LEVEL ??= 'warn';
const print = (line: string) => process.stdout.write(`${line}\n`);

const aliases = (count: number, selection: string) =>
  `query Abuse { ${Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;
const nested = (depth: number) =>
  `query Deep { patients(first: 1) { edges { node { ${'appointments(first: 1) { edges { node { patient { '.repeat(depth / 5)}id${' } } } }'.repeat(depth / 5)} } } } }`;

const abusive = [
  aliases(10_000, 'appointments(first: 1) { edges { node { id patient { name { text } } } } }'),
  nested(50),
  'query Fan { patients(first: 100) { edges { node { appointments(first: 100) { edges { node { doctor { name { text } } } } } } } } }',
  aliases(2_000, 'patients(first: 1) { totalCount }'),
].map((query) => JSON.stringify({ query }));
const plain = JSON.stringify({ query: 'query Plain { patients(first: 1) { totalCount } }' });

let frontDesk: Record<string, string> = {};

async function post(
  url: string,
  body: string,
  signal?: AbortSignal,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...frontDesk },
    body,
    ...(signal ? { signal } : {}),
  });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

/** Plain requests one after another for the window, while `abuse` clients send abusive ones. */
async function plainLatencies(url: string, abuse: number) {
  const window = AbortSignal.timeout(durationMs);
  const abusiveAnswers: number[] = [];
  const abuser = async (offset: number) => {
    for (let i = offset; !window.aborted; i++) {
      try {
        abusiveAnswers.push((await post(url, abusive[i % abusive.length] as string, window)).status);
      } catch {
        return; // the window ended with this one in flight
      }
    }
  };
  const clients = Array.from({ length: abuse }, (_, n) => abuser(n));
  const latencies: number[] = [];
  while (!window.aborted) {
    const started = performance.now();
    try {
      const { status, ms } = await post(url, plain, window);
      if (status !== 200) throw new Error(`plain query answered ${status}`);
      latencies.push(ms);
    } catch (error) {
      if (!window.aborted) throw error;
      latencies.push(performance.now() - started); // cut off by the window: at least this long
    }
  }
  await Promise.all(clients);
  latencies.sort((a, b) => a - b);
  return {
    plain: latencies.length,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    abusive: abusiveAnswers.length,
    refused: abusiveAnswers.filter((status) => status === 400 || status === 413).length,
  };
}

const schemaPrefix = `${uniqueName('bench')}_`;
const ports = await freePorts();
const system = await startRealMode({ ports, schemaPrefix, quiet: true, admin: testAdmin });
frontDesk = await sessions(system.routerUrl)('FRONT_DESK');
const subgraphUrls = Object.fromEntries(
  subgraphParts().map((part) => [part.name, `http://127.0.0.1:${ports[part.name as SubgraphName]}/graphql`]),
);
const stock = await startStockGateway(await freePort(), subgraphUrls);
try {
  const refusalTimes: number[] = [];
  let refusalStatus = 0;
  for (let i = 0; i < refusals; i++) {
    const { status, ms } = await post(system.routerUrl, abusive[0] as string);
    if (status !== 400 && status !== 413)
      throw new Error(`the 10,000-alias operation answered ${status}, not 400 or 413`);
    refusalStatus = status;
    refusalTimes.push(ms);
  }
  refusalTimes.sort((a, b) => a - b);
  const kb = Math.round(Buffer.byteLength(abusive[0] as string) / 1024);
  print(
    `10,000-alias operation (${kb} KB) refused by the router (HTTP ${refusalStatus}): p50 ${percentile(refusalTimes, 0.5).toFixed(1)} ms, ` +
      `max ${(refusalTimes.at(-1) ?? 0).toFixed(1)} ms over ${refusals}`,
  );

  const rows: Array<[string, Awaited<ReturnType<typeof plainLatencies>>]> = [];
  for (const [name, url] of [
    ['router', system.routerUrl],
    ['stock', stock.url],
  ] as const) {
    rows.push([`${name}, alone`, await plainLatencies(url, 0)]);
    rows.push([`${name}, ${abusers} abusers`, await plainLatencies(url, abusers)]);
  }
  print(`\nplain query, ${durationMs / 1000} s windows:`);
  for (const [name, row] of rows)
    print(
      `  ${name.padEnd(20)} ${String(row.plain).padStart(6)} plain  p50 ${row.p50.toFixed(1).padStart(8)} ms  ` +
        `p99 ${row.p99.toFixed(1).padStart(8)} ms   abusive answered ${row.abusive} (${row.refused} refused, 400 or 413)`,
    );
  const [, routerAbused] = rows[1] ?? [];
  const [, stockAbused] = rows[3] ?? [];
  if (routerAbused && stockAbused)
    print(
      `\nunder abuse, stock/router: plain p99 ${(stockAbused.p99 / routerAbused.p99).toFixed(0)}×, ` +
        `plain throughput router/stock ${(routerAbused.plain / Math.max(1, stockAbused.plain)).toFixed(0)}×`,
    );
} finally {
  await stock.stop();
  await system.stop();
  await dropRealModeStores(schemaPrefix);
}
