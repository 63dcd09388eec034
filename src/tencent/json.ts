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
 * @throws CallbackRejectedError `JSON_INVALID` for invalid UTF-8, invalid JSON, a non-object
 * top level, a `__proto__` key or `constructor.prototype`, or a number out of range.
 */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    const text = utf8.decode(body);
    value = needsCarefulParse(text) ? JSON.parse(text, careful) : JSON.parse(text);
  } catch (error) {
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
