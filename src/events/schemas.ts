import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root';

/** Where the published JSON Schemas live: `schemas/<type>.json` (shipped in the image). */
export const SCHEMAS_DIR = join(packageRoot(), 'schemas');

/**
 * Every event type's JSON Schema, by type, as the bytes of its file (served as they are by the
 * admin port's `GET /schemas/<type>.json`). Read once, at start.
 * @throws Error when the folder cannot be read or a file is not JSON.
 */
export function loadEventSchemas(dir: string = SCHEMAS_DIR): ReadonlyMap<string, Buffer> {
  const schemas = new Map<string, Buffer>();
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const bytes = readFileSync(join(dir, file));
    JSON.parse(bytes.toString('utf8')); // a broken file fails the start, not a consumer
    schemas.set(file.slice(0, -'.json'.length), bytes);
  }
  return schemas;
}
