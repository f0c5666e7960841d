import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Kind, parse, validate } from 'graphql';
import { repoRoot } from '../src/composition.ts';
import { apiSchemaOf, loadSupergraphSdl } from '../src/index.ts';

/** Every ```graphql block of the README, with the line it starts on. */
function graphqlBlocks(markdown: string): Array<{ line: number; text: string }> {
  const blocks: Array<{ line: number; text: string }> = [];
  const pattern = /^```graphql\n([\s\S]*?)^```/gm;
  for (const match of markdown.matchAll(pattern)) {
    blocks.push({ line: markdown.slice(0, match.index).split('\n').length, text: match[1] ?? '' });
  }
  return blocks;
}

describe("the README's GraphQL examples", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const blocks = graphqlBlocks(readme);

  it('has examples to check', () => {
    expect(blocks.length).toBeGreaterThan(2);
  });

  it.each(blocks)(
    'the block at line $line names its operations and is valid against the supergraph',
    async ({ text }) => {
      const schema = apiSchemaOf(await loadSupergraphSdl());
      const document = parse(text);
      const operations = document.definitions.filter(
        (definition) => definition.kind === Kind.OPERATION_DEFINITION,
      );
      // Sandbox refuses a document with two anonymous operations; a name also says what the example does.
      for (const operation of operations) expect(operation.name?.value).toEqual(expect.any(String));
      // Placeholders such as "<patient id>" are strings, so they validate like real ids.
      expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    },
  );
});
