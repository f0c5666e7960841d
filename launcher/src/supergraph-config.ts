/**
 * Writes supergraph.yaml (rover's format, read by `npm run compose`) from the registry, so the list of
 * subgraphs, their routing URLs and SDL files live in one place. `--check` writes nothing and fails when
 * the committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './processes.ts';
import { subgraphParts } from './registry.ts';

export const supergraphConfigPath = join(repoRoot, 'supergraph.yaml');
export const federationVersion = '=2.14.4';

export function supergraphConfigYaml(): string {
  const lines = [
    '# Generated from launcher/src/registry.ts by `npm run compose`. Do not edit.',
    '# Rover reads it too: `rover supergraph compose --config supergraph.yaml` gives the same result as',
    '# `npm run compose`, which also checks composition hints against schema/accepted-hints.json.',
    `federation_version: ${federationVersion}`,
    'subgraphs:',
  ];
  for (const part of subgraphParts()) {
    lines.push(
      `  ${part.name}:`,
      `    routing_url: http://127.0.0.1:${part.port}/graphql`,
      '    schema:',
      `      file: ./${part.schemaFile}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.main) {
  const wanted = supergraphConfigYaml();
  const committed = await readFile(supergraphConfigPath, 'utf8').catch(() => undefined);
  if (process.argv.includes('--check')) {
    if (committed !== wanted) {
      console.error('supergraph.yaml is stale: run npm run compose and commit it.');
      process.exit(1);
    }
  } else if (committed !== wanted) {
    await writeFile(supergraphConfigPath, wanted);
    console.warn('wrote supergraph.yaml');
  }
}
