import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { composeSupergraph, loadSupergraphSdl } from '../src/index.ts';

describe('the committed supergraph', () => {
  it('composes without errors or unaccepted hints and matches schema/supergraph.graphql', async () => {
    const outcome = await composeSupergraph();
    if (!outcome.ok) throw new Error(`Composition failed:\n${outcome.problems.join('\n')}`);
    const committed = await loadSupergraphSdl();
    // On failure: run `npm run compose` and commit schema/supergraph.graphql.
    expect(committed).toBe(outcome.supergraphSdl);
  });
});

describe('composition hints', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  // Two subgraphs sharing a field with different nullability: composes, with one hint.
  async function fixture(acceptedHints: unknown[]) {
    const dir = await mkdtemp(path.join(tmpdir(), 'hsg-compose-'));
    dirs.push(dir);
    const sdl = (type: string) => `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])
      type Thing @key(fields: "id") { id: ID! label: ${type} @shareable }
      type Query { thing${type === 'String' ? 'A' : 'B'}: Thing }`;
    await writeFile(path.join(dir, 'a.graphql'), sdl('String'));
    await writeFile(path.join(dir, 'b.graphql'), sdl('String!'));
    await writeFile(
      path.join(dir, 'supergraph.yaml'),
      [
        'federation_version: =2.14.4',
        'subgraphs:',
        '  a: { routing_url: "http://127.0.0.1:1/graphql", schema: { file: ./a.graphql } }',
        '  b: { routing_url: "http://127.0.0.1:2/graphql", schema: { file: ./b.graphql } }',
      ].join('\n'),
    );
    await writeFile(path.join(dir, 'accepted-hints.json'), JSON.stringify(acceptedHints));
    return {
      configPath: path.join(dir, 'supergraph.yaml'),
      acceptedHintsPath: path.join(dir, 'accepted-hints.json'),
    };
  }

  it('fails on a hint that is not accepted, naming it', async () => {
    const outcome = await composeSupergraph(await fixture([]));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.problems).toEqual([expect.stringContaining('INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE')]);
  });

  it('passes when the hint is accepted', async () => {
    const accepted = [
      { code: 'INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE', coordinate: 'Thing.label', reason: 'test' },
    ];
    const outcome = await composeSupergraph(await fixture(accepted));
    expect(outcome.ok && outcome.acceptedHints.map((hint) => hint.code)).toEqual([
      'INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE',
    ]);
  });

  it('fails on an accepted hint that is no longer reported', async () => {
    const accepted = [
      { code: 'INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE', reason: 'test' },
      { code: 'GONE', reason: 'old' },
    ];
    const outcome = await composeSupergraph(await fixture(accepted));
    expect(outcome.ok ? [] : outcome.problems).toEqual([expect.stringContaining('"GONE"')]);
  });
});
