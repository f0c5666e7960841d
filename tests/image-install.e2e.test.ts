import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from '@jest/globals';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
let workdir: string | undefined;

afterAll(async () => {
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

/**
 * No Docker engine here, so the image's install step runs as the Dockerfile runs it, in a clean clone: the
 * committed lockfile must pass `npm ci --omit=dev`, and what it installs must be enough to load every
 * part the image starts (the runtime stage has no dev dependencies).
 */
it("installs the image's production dependencies from the lockfile and loads every part with them", async () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const install = /^RUN (npm ci [^\n]+)$/m.exec(dockerfile)?.[1];
  expect(install).toContain('--omit=dev');
  workdir = await mkdtemp(join(tmpdir(), 'image-install-'));
  const clone = join(workdir, 'repo');
  await run('git', ['clone', '--quiet', '--depth', '1', `file://${repoRoot}`, clone]);
  const [command, ...args] = (install ?? '').split(/\s+/);
  await run(command ?? 'npm', [...args, '--prefer-offline'], { cwd: clone, maxBuffer: 64 * 1024 * 1024 });

  // Each part's entry module imports everything it needs at start: loading them proves the install.
  const load = `
    const { parts, subgraphParts } = await import('./launcher/src/registry.ts');
    for (const part of subgraphParts()) await part.load();
    await import('./router/src/router.ts');
    process.stdout.write(JSON.stringify(parts.map((part) => part.name)));
  `;
  const node = join(repoRoot, 'node_modules', '.bin', 'node'); // Node 24, as in the image
  const { stdout } = await run(node, ['--input-type=module', '-e', load], { cwd: clone });
  expect(JSON.parse(stdout)).toEqual(expect.arrayContaining(['patient', 'doctor', 'appointment', 'router']));
}, 300_000);
