import { readFile } from 'node:fs/promises';
import { supergraphPath } from './composition.ts';

export {
  type AcceptedHint,
  type ComposeOptions,
  type CompositionOutcome,
  composeSupergraph,
  type HintSummary,
  supergraphPath,
} from './composition.ts';

/** The committed supergraph SDL (schema/supergraph.graphql), or another file composed the same way. */
export function loadSupergraphSdl(path: string = supergraphPath): Promise<string> {
  return readFile(path, 'utf8');
}
export { apiSchemaOf } from './api-schema.ts';
export { withSecurityEnforcedBySubgraphs } from './security-links.ts';
