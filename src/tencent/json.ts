import { CallbackRejectedError } from '../errors';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Text that plain `JSON.parse` may get wrong or that could carry prototype poisoning:
 * integers of 16+ digits (beyond 2^53 once they reach 17), exponents of 3+ digits (in JSON an
 * exponent always follows a digit), `\u` escapes (which can spell `__proto__`), and the keys
 * themselves. Only such bodies take the slower reviver path. Substring checks first: one regex
 * with every alternative cost twice as much per body.
 */
const BIG_NUMBER = /\d{16}|\d[eE][+-]?\d{3}/;
const needsCarefulParse = (text: string): boolean =>
  text.includes('\\u') ||
  text.includes('__proto__') ||
  text.includes('constructor') ||
  BIG_NUMBER.test(text);
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * The deepest nesting of objects and arrays a body may have. Tencent's callbacks nest four levels
 * at most (reference §6); every later step that walks the value (the reviver, joi, `stableJson`,
 * `JSON.stringify` into the event) recurses, and at a few thousand levels the stack runs out
 * (issue 14: 5,000 nested arrays in 10 KB answered 500 and were lost). Bounding the depth here,
 * before anything walks the value, bounds them all.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text nests objects/arrays deeper than `limit`: one pass over the text,
 * skipping string contents, no recursion. Meant for text that may not even be valid JSON; it
 * answers only about depth and leaves validity to `JSON.parse`.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Fast path: a text with fewer openers than the limit cannot nest deeper.
  let openers = 0;
  for (let i = text.indexOf('['); i !== -1 && openers <= limit; i = text.indexOf('[', i + 1))
    openers++;
  for (let i = text.indexOf('{'); i !== -1 && openers <= limit; i = text.indexOf('{', i + 1))
    openers++;
  if (openers <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** Raised from the reviver; its message is ours, so it is safe to return to the caller. */
class UnsafeJsonError extends Error {}

interface ReviverContext {
  source?: string;
}

function careful(this: unknown, key: string, value: unknown, context?: ReviverContext): unknown {
  if (key === '__proto__') throw new UnsafeJsonError('__proto__ key is not allowed');
  if (
    key === 'constructor' &&
    typeof value === 'object' &&
    value !== null &&
    'prototype' in value
  ) {
    throw new UnsafeJsonError('constructor.prototype is not allowed');
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UnsafeJsonError('number out of range');
    const source = context?.source;
    // Account ids arrive as 18-digit numbers (reference §6.4): keep their exact digits as a string.
    if (!Number.isSafeInteger(value) && source !== undefined && INTEGER_LITERAL.test(source)) {
      return source;
    }
  }
  return value;
}

/**
 * Parses a callback body without losing precision and without prototype poisoning.
 *
 * Integers beyond `Number.MAX_SAFE_INTEGER` come back as strings holding the exact digits
 * (uses the reviver's source text, ES2025 `JSON.parse` source access, Node 22+).
 * @throws CallbackRejectedError `JSON_TOO_DEEP` for nesting deeper than `MAX_JSON_DEPTH`;
 * `JSON_INVALID` for invalid UTF-8, invalid JSON, a non-object
 * top level, a `__proto__` key or `constructor.prototype`, or a number out of range.
 */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    const text = utf8.decode(body);
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      throw new CallbackRejectedError(
        'JSON_TOO_DEEP',
        `body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`,
      );
    }
    value = needsCarefulParse(text) ? JSON.parse(text, careful) : JSON.parse(text);
  } catch (error) {
    if (error instanceof CallbackRejectedError) throw error;
    // V8's own messages quote the body; only our reviver's messages are returned to the caller.
    const detail = error instanceof UnsafeJsonError ? `: ${error.message}` : '';
    throw new CallbackRejectedError('JSON_INVALID', `body is not valid JSON${detail}`, {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CallbackRejectedError('JSON_INVALID', 'body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
