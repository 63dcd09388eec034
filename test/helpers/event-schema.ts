import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);

const SCHEMAS = join(__dirname, '..', '..', 'schemas');

/** Validates event data against its published JSON Schema; throws with every error otherwise. */
export function assertMatchesSchema(type: string, data: unknown): void {
  let validate = ajv.getSchema(type);
  if (!validate) {
    const schema = JSON.parse(readFileSync(join(SCHEMAS, `${type}.json`), 'utf8')) as object;
    ajv.addSchema(schema, type);
    validate = ajv.getSchema(type)!;
  }
  if (!validate(data)) {
    throw new Error(`${type} data does not match its schema: ${ajv.errorsText(validate.errors)}`);
  }
}
