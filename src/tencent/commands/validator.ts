import type Joi from 'joi';

/** `true` when joi would accept the value exactly as it is; `false` means "ask joi". */
export type PlainCheck = (value: unknown) => boolean;

type Description = Joi.Description & {
  flags?: Record<string, unknown>;
  rules?: { name: string; args?: Record<string, unknown> }[];
  allow?: unknown[];
  keys?: Record<string, Description>;
  items?: Description[];
  matches?: { schema?: Description }[];
};

const never: PlainCheck = () => false;

/** Describe keys that never change what a schema accepts: names, docs, error messages. */
const INERT_KEYS = new Set(['type', 'flags', 'rules', 'allow', 'keys', 'items', 'matches']);
const INERT_DOCS = new Set(['messages', 'notes', 'tags', 'metas', 'examples']);
const INERT_FLAGS = new Set(['presence', 'label', 'description', 'only', 'unknown']);

/** Whether a described schema uses only what this compiler understands. */
function understood(node: Description): boolean {
  for (const key of Object.keys(node)) {
    if (!INERT_KEYS.has(key) && !INERT_DOCS.has(key)) return false;
  }
  for (const flag of Object.keys(node.flags ?? {})) if (!INERT_FLAGS.has(flag)) return false;
  return node.flags?.presence !== 'forbidden';
}

/** A numeric rule limit, or undefined when the rule uses a reference or something unusual. */
function limitOf(rule: { args?: Record<string, unknown> }): number | undefined {
  const limit = rule.args?.limit;
  return typeof limit === 'number' && rule.args !== undefined && Object.keys(rule.args).length === 1
    ? limit
    : undefined;
}

/** min/max/length rules as bounds on a size (string length, array length) or a number. */
function bounds(
  rules: readonly { name: string; args?: Record<string, unknown> }[],
  names: Record<string, 'min' | 'max' | 'length' | 'greater' | 'less'>,
): { min: number; max: number; exclusiveMin: boolean; exclusiveMax: boolean } | undefined {
  const out = { min: -Infinity, max: Infinity, exclusiveMin: false, exclusiveMax: false };
  for (const rule of rules) {
    const kind = names[rule.name];
    const limit = limitOf(rule);
    if (kind === undefined || limit === undefined) return undefined;
    if (kind === 'min' || kind === 'length') out.min = Math.max(out.min, limit);
    if (kind === 'max' || kind === 'length') out.max = Math.min(out.max, limit);
    if (kind === 'greater') [out.min, out.exclusiveMin] = [limit, true];
    if (kind === 'less') [out.max, out.exclusiveMax] = [limit, true];
  }
  return out;
}

function inBounds(n: number, b: NonNullable<ReturnType<typeof bounds>>): boolean {
  return (b.exclusiveMin ? n > b.min : n >= b.min) && (b.exclusiveMax ? n < b.max : n <= b.max);
}

function compileString(node: Description): PlainCheck {
  const b = bounds(node.rules ?? [], { min: 'min', max: 'max', length: 'length' });
  if (!b) return never;
  // joi refuses '' unless it is allowed; an allowed value is accepted as it is.
  const allowed = new Set(node.allow ?? []);
  if (node.flags?.only === true) return (value) => allowed.has(value);
  return (value) =>
    allowed.has(value) || (typeof value === 'string' && value !== '' && inBounds(value.length, b));
}

function compileNumber(node: Description): PlainCheck {
  const rules = node.rules ?? [];
  const integer = rules.some((rule) => rule.name === 'integer');
  const b = bounds(
    rules.filter((rule) => rule.name !== 'integer'),
    { min: 'min', max: 'max', greater: 'greater', less: 'less' },
  );
  if (!b || node.flags?.only === true) return never;
  const allowed = new Set(node.allow ?? []);
  // joi turns -0 into 0 and refuses numbers beyond ±2^53 − 1, integer or not.
  return (value) =>
    allowed.has(value) ||
    (typeof value === 'number' &&
      Number.isFinite(value) &&
      Math.abs(value) <= Number.MAX_SAFE_INTEGER &&
      !Object.is(value, -0) &&
      (!integer || Number.isInteger(value)) &&
      inBounds(value, b));
}

function compileBoolean(node: Description): PlainCheck {
  if ((node.rules ?? []).length > 0 || node.flags?.only === true) return never;
  const allowed = new Set(node.allow ?? []);
  return (value) => typeof value === 'boolean' || allowed.has(value);
}

function compileArray(node: Description): PlainCheck {
  const b = bounds(node.rules ?? [], { min: 'min', max: 'max', length: 'length' });
  const items = node.items ?? [];
  if (!b || items.length > 1 || node.allow !== undefined) return never;
  const item = items[0] === undefined ? () => true : compileValue(items[0]);
  return (value) => Array.isArray(value) && inBounds(value.length, b) && value.every(item);
}

function compileObject(node: Description): PlainCheck {
  if (node.allow !== undefined || (node.rules ?? []).length > 0) return never;
  const keys = Object.entries(node.keys ?? {}).map(([key, child]) => ({
    key,
    required: child.flags?.presence === 'required',
    check: compileValue(child),
  }));
  const known = new Set(keys.map((entry) => entry.key));
  const unknownAllowed = node.flags?.unknown === true || node.keys === undefined;
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const object = value as Record<string, unknown>;
    for (const { key, required, check } of keys) {
      if (Object.hasOwn(object, key)) {
        if (!check(object[key])) return false;
      } else if (required) return false;
    }
    if (!unknownAllowed) for (const key in object) if (!known.has(key)) return false;
    return true;
  };
}

/** The type joi would try to convert a value of this JS type into, for `alternatives`. */
const CONVERTS_FROM: Record<string, ReadonlySet<string>> = {
  string: new Set(['string']),
  number: new Set(['number', 'string']),
  boolean: new Set(['boolean', 'string']),
  object: new Set(['object']),
  array: new Set(['array']),
};

function jsType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return value === null ? 'null' : typeof value;
}

/**
 * joi takes the first alternative that accepts the value, converting if it can. A value is plain
 * for alternative k only if no earlier alternative could have taken it, even by converting.
 */
function compileAlternatives(node: Description): PlainCheck {
  if (node.allow !== undefined || (node.rules ?? []).length > 0) return never;
  const alternatives: { type: string; check: PlainCheck }[] = [];
  for (const match of node.matches ?? []) {
    const schema = match.schema;
    if (schema === undefined || Object.keys(match).length !== 1) return never;
    if (CONVERTS_FROM[schema.type ?? ''] === undefined) return never;
    alternatives.push({ type: schema.type!, check: compileValue(schema) });
  }
  return (value) => {
    const type = jsType(value);
    for (const alternative of alternatives) {
      if (alternative.check(value)) return true;
      if (CONVERTS_FROM[alternative.type]!.has(type)) return false;
    }
    return false;
  };
}

const COMPILERS: Record<string, (node: Description) => PlainCheck> = {
  string: compileString,
  number: compileNumber,
  boolean: compileBoolean,
  array: compileArray,
  object: compileObject,
  alternatives: compileAlternatives,
  any: (node) => ((node.rules ?? []).length === 0 ? () => true : never),
};

function compileValue(node: Description): PlainCheck {
  const compile = COMPILERS[node.type ?? ''];
  return compile && understood(node) ? compile(node) : never;
}

/**
 * Derives, once, from a joi schema's description a test that is true only for values joi would
 * accept without changing anything (right types, ranges and lengths, no numeric strings to
 * convert, no `null`s). It may be narrower than the schema, never wider: every rule, flag or
 * type it does not understand makes it answer false, which sends the value to joi. Callers use
 * it to skip joi for the bodies Tencent normally sends, and joi for everything else (it converts,
 * or explains the refusal). Property-tested against joi for every command schema.
 */
export function compilePlainCheck(schema: Joi.Schema): PlainCheck {
  return compileValue(schema.describe() as Description);
}

/** What a validator says of a body: the value to normalize, or joi's first complaint. */
export type Validation<T> = { value: T; error?: undefined } | { value?: undefined; error: string };

/**
 * The validator of one command's body: plain bodies (what Tencent sends) pass the check derived
 * from the schema and come back as they are; everything else goes through joi (`convert: true`,
 * first error only), which converts numeric strings or explains the refusal.
 */
export function createValidator<T>(schema: Joi.ObjectSchema<T>): (parsed: object) => Validation<T> {
  const plain = compilePlainCheck(schema);
  return (parsed) => {
    if (plain(parsed)) return { value: parsed as T };
    const result = schema.validate(parsed, { abortEarly: true, convert: true });
    if (result.error) return { error: result.error.details[0]?.message ?? 'invalid' };
    return { value: result.value };
  };
}

/**
 * The keys a joi object schema names, at a path of keys (`[]` steps into array items): what a
 * normalizer maps, so that every other key Tencent sends goes to the event's `extensions`.
 * @throws Error when the path does not lead to an object schema (a programming error).
 */
export function namedKeys(schema: Joi.Schema, ...path: string[]): ReadonlySet<string> {
  let node: Description | undefined = schema.describe() as Description;
  for (const step of path) node = step === '[]' ? node?.items?.[0] : node?.keys?.[step];
  if (node?.type !== 'object') throw new Error(`no object schema at ${path.join('.')}`);
  return new Set(Object.keys(node.keys ?? {}));
}
