/**
 * `npm run compose`: composes supergraph.yaml into schema/supergraph.graphql (committed).
 * `npm run compose -- --check`: writes nothing, fails when the committed file is stale.
 * Fails, listing every problem, on composition errors and on hints not in schema/accepted-hints.json.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeSupergraph, repoRoot, supergraphPath } from './composition.ts';

const checkOnly = process.argv.includes('--check');
const outcome = await composeSupergraph();
const relative = path.relative(repoRoot, supergraphPath);

if (!outcome.ok) {
  console.error(`Composition failed:\n${outcome.problems.map((problem) => `  - ${problem}`).join('\n')}`);
  process.exit(1);
}
for (const hint of outcome.acceptedHints) console.warn(`accepted hint ${hint.code}: ${hint.message}`);

const committed = await readFile(supergraphPath, 'utf8').catch(() => undefined);
if (checkOnly) {
  if (committed !== outcome.supergraphSdl) {
    console.error(`${relative} is stale: run npm run compose and commit it.`);
    process.exit(1);
  }
  console.warn(`${relative} is up to date.`);
} else if (committed === outcome.supergraphSdl) {
  console.warn(`${relative} unchanged.`);
} else {
  await writeFile(supergraphPath, outcome.supergraphSdl);
  console.warn(`wrote ${relative}`);
}
