type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Keywords that document a schema without changing what it accepts. */
const ANNOTATIONS = new Set(['description', 'title', '$comment', 'examples']);
/** Keywords holding one subschema each, compared keyword by keyword. */
const SUBSCHEMAS = new Set(['items', 'additionalProperties', 'contains', 'not']);

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** Structural equality of JSON values (whatever realm the objects come from). */
function same(a: Json | undefined, b: Json | undefined): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => same(item, b[i]))
    );
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((key) => key in b && same(a[key], b[key]))
    );
  }
  return a === b;
}

const show = (value: Json | undefined): string =>
  value === undefined ? 'absent' : JSON.stringify(value);

function compare(published: Json, current: Json, path: string, problems: string[]): void {
  if (!isObject(published) || !isObject(current)) {
    if (!same(published, current)) {
      problems.push(`${path}: ${show(published)} became ${show(current)}`);
    }
    return;
  }
  for (const key of new Set([...Object.keys(published), ...Object.keys(current)])) {
    if (ANNOTATIONS.has(key)) continue;
    const before = published[key];
    const after = current[key];
    const at = `${path}/${key}`;
    if (key === 'properties' && isObject(before) && isObject(after)) {
      for (const [name, schema] of Object.entries(before)) {
        if (!(name in after)) problems.push(`${at}/${name}: removed`);
        else compare(schema, after[name]!, `${at}/${name}`, problems);
      }
    } else if (key === 'required' && Array.isArray(before) && Array.isArray(after)) {
      for (const name of after) {
        if (!before.includes(name)) problems.push(`${at}: ${show(name)} became required`);
      }
      for (const name of before) {
        if (!after.includes(name)) problems.push(`${at}: ${show(name)} is no longer required`);
      }
    } else if (key === 'enum' && Array.isArray(before) && Array.isArray(after)) {
      for (const value of before) {
        if (!after.some((item) => same(item, value))) {
          problems.push(`${at}: ${show(value)} removed`);
        }
      }
    } else if (SUBSCHEMAS.has(key) && isObject(before) && isObject(after)) {
      compare(before, after, at, problems);
    } else if (!same(before, after)) {
      problems.push(`${at}: ${show(before)} became ${show(after)}`);
    }
  }
}

/**
 * The ways `current` is not an additive change of the `published` JSON Schema, so that events
 * valid under the published v1 stay valid and mean the same: a property removed or renamed, a
 * type, format, pattern or bound changed, a field made required (or no longer required), an enum
 * value removed, or any other keyword changed. Allowed: new optional properties, new enum values,
 * and changes to descriptions and titles. Empty when the change is additive.
 */
export function breakingChanges(published: Json, current: Json): string[] {
  const problems: string[] = [];
  compare(published, current, '', problems);
  return problems;
}
