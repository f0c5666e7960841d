import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../src/processes.ts';
import { parts, router, subgraphParts, subgraphUrlVariable } from '../src/registry.ts';
import { supergraphConfigPath, supergraphConfigYaml } from '../src/supergraph-config.ts';

interface ComposeService {
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
}

const compose = parseYaml(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const supergraphConfig = parseYaml(readFileSync(supergraphConfigPath, 'utf8')) as {
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
};

describe('the registry of parts', () => {
  it('names every part once, on a port of its own', () => {
    expect(new Set(parts.map((part) => part.name)).size).toBe(parts.length);
    expect(new Set(parts.map((part) => part.port)).size).toBe(parts.length);
    for (const part of parts) expect(existsSync(join(repoRoot, part.main))).toBe(true);
  });

  it('agrees with each subgraph definition: name, port, store and SDL', async () => {
    for (const part of subgraphParts()) {
      const definition = await part.load();
      expect({ name: definition.name, port: definition.port, store: definition.store }).toEqual({
        name: part.name,
        port: part.port,
        store: part.stores[0]?.kind,
      });
      expect(existsSync(join(repoRoot, part.schemaFile))).toBe(true);
    }
  });

  it('is what supergraph.yaml lists (npm run compose writes it from the registry)', () => {
    expect(readFileSync(supergraphConfigPath, 'utf8')).toBe(supergraphConfigYaml());
    expect(
      Object.fromEntries(
        Object.entries(supergraphConfig.subgraphs).map(([name, entry]) => [
          name,
          { url: entry.routing_url, file: entry.schema.file },
        ]),
      ),
    ).toEqual(
      Object.fromEntries(
        subgraphParts().map((part) => [
          part.name,
          { url: `http://127.0.0.1:${part.port}/graphql`, file: `./${part.schemaFile}` },
        ]),
      ),
    );
  });

  it('is what docker-compose.yml runs: one service per part, its command, port and stores', () => {
    const projectServices = Object.entries(compose.services)
      .filter(([, service]) => service.build !== undefined)
      .map(([name]) => name);
    expect(projectServices.sort()).toEqual(parts.map((part) => part.name).sort());
    for (const part of parts) {
      const service = compose.services[part.name];
      expect(service?.command).toEqual(['node', part.main]);
      expect(service?.environment?.PORT).toBe(String(part.port));
      for (const store of part.stores) {
        const variable = { postgres: 'DATABASE_SCHEMA', mysql: 'DATABASE_NAME', mongo: 'DATABASE_NAME' }[
          store.kind
        ];
        expect(service?.environment?.[variable]).toBe(store.namespace);
      }
    }
    const routerEnv = compose.services[router.name]?.environment ?? {};
    for (const part of subgraphParts()) {
      expect(routerEnv[subgraphUrlVariable(part)]).toBe(`http://${part.name}:${part.port}/graphql`);
    }
  });
});
