import { gzipSync } from 'node:zlib';
import type { Random } from './random';
import { ALL_COMMANDS, sampleText } from './samples';
import { APP_ID, callbackUrl } from './tencent';

/**
 * Mutated requests for the HTTP fuzz run (issue 14), built from the command fixtures. Each case
 * says whether it carries valid credentials: only those may ever reach Kafka or the spool.
 */
export interface FuzzCase {
  /** The mutation, for the report. */
  kind: string;
  bytes: Buffer;
  /** Known app and a valid signature (or the unsigned app): may be published or quarantined. */
  authenticated: boolean;
}

/** Appears in every unauthenticated body, so its presence in Kafka or the spool is detectable. */
export const UNAUTHENTICATED_MARK = 'UNAUTHENTICATED-FUZZ-MARK';

const PATH = '/webhooks/tencent/live';
const UNSIGNED_APP = '1400000009';

/** One body mutation: text or bytes in, bytes out. */
type BodyMutation = (body: Buffer, random: Random) => Buffer;

function splice(text: string, field: string): string {
  return text.replace(/}\s*$/, `,${field}}`);
}

const BODY_MUTATIONS: Record<string, BodyMutation> = {
  none: (body) => body,
  byte_flips: (body, r) => {
    const copy = Buffer.from(body);
    for (let i = r.int(1, 8); i > 0; i--) copy[r.int(0, copy.length - 1)] = r.int(0, 255);
    return copy;
  },
  truncated: (body, r) => body.subarray(0, r.int(0, body.length - 1)),
  deep_nesting: (body, r) => {
    const depth = r.pick([10, 63, 64, 65, 1_000, 5_000, 20_000]);
    const open = r.bool() ? '[' : '{"a":';
    const close = open === '[' ? ']' : '}';
    const inner = open === '[' ? '' : '1';
    return Buffer.from(
      splice(body.toString(), `"Deep":${open.repeat(depth)}${inner}${close.repeat(depth)}`),
    );
  },
  huge_array: (body, r) =>
    Buffer.from(splice(body.toString(), `"Huge":[${'0,'.repeat(r.int(1_000, 30_000))}0]`)),
  big_numbers: (body, r) => {
    const number = r.pick([
      '123456789012345678901234',
      '-99999999999999999999',
      '1e400',
      '1.5E-400',
      '9007199254740993',
      '1' + '0'.repeat(r.int(20, 300)),
    ]);
    return Buffer.from(body.toString().replace(/:\s*(\d+)/, `:${number}`));
  },
  proto_keys: (body, r) => {
    const field = r.pick([
      '"__proto__":{"polluted":1}',
      '"constructor":{"prototype":{"polluted":1}}',
      '"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1}',
      '"RoomInfo":{"__proto__":{"x":1}}',
    ]);
    return Buffer.from(splice(body.toString(), field));
  },
  invalid_utf8: (body, r) => {
    const copy = Buffer.from(body);
    copy[r.int(1, copy.length - 2)] = r.pick([0xc0, 0xff, 0xfe, 0xed, 0x80]);
    return copy;
  },
  bom: (body) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]),
  oversized: (body, r) => Buffer.concat([body, Buffer.alloc(r.int(65_537, 140_000), 0x20)]),
  empty: () => Buffer.alloc(0),
  not_json: (_body, r) => Buffer.from(r.string(r.int(1, 200), 'abc<>{}[]",:0123 \t\n\\')),
};

type QueryMutation = (params: URLSearchParams, r: Random) => void;

const QUERY_MUTATIONS: Record<string, QueryMutation> = {
  none: () => undefined,
  duplicate_param: (p, r) =>
    p.append(r.pick(['SdkAppid', 'CallbackCommand', 'Sign', 'RequestTime']), r.string(5)),
  missing_param: (p, r) => p.delete(r.pick(['SdkAppid', 'CallbackCommand'])),
  odd_case: (p) => {
    const appId = p.get('SdkAppid');
    p.delete('SdkAppid');
    if (appId !== null) p.set('sDkApPiD', appId);
  },
  long_param: (p, r) => p.set('CallbackCommand', `Live.${'A'.repeat(r.int(97, 400))}`),
  huge_query: (p, r) => p.set('pad', 'x'.repeat(r.int(16_500, 40_000))),
  contenttype_xml: (p) => p.set('contenttype', 'xml'),
};

type AuthMutation = (p: URLSearchParams, r: Random) => boolean;

/** Mutations of the credentials; each returns whether the request is still authentic. */
const AUTH_MUTATIONS: Record<string, AuthMutation> = {
  valid: () => true,
  unsigned_app: (p) => {
    p.set('SdkAppid', UNSIGNED_APP);
    p.delete('Sign');
    p.delete('RequestTime');
    return true;
  },
  wrong_sign: (p, r) => {
    p.set('Sign', r.string(64, '0123456789abcdef'));
    return false;
  },
  no_sign: (p) => {
    p.delete('Sign');
    return false;
  },
  expired: (p) => {
    p.set('RequestTime', String(Math.floor(Date.now() / 1000) - 3_600));
    return false;
  },
  unknown_app: (p, r) => {
    p.set('SdkAppid', String(r.int(1, 999_999)));
    return false;
  },
  bad_sign_format: (p, r) => {
    p.set('Sign', r.string(r.int(0, 80)));
    return false;
  },
};

const METHODS = ['GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD'];
const GOOD_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  undefined,
];
const BAD_CONTENT_TYPES = [
  'application/xml',
  'multipart/form-data; boundary=x',
  'json',
  'application/json, text/plain',
  'application/x-www-form-urlencoded',
];

/** Raw-socket oddities: requests Node's parser or hapi refuses before our code runs. */
function rawOddity(r: Random, url: string, body: Buffer): { kind: string; bytes: Buffer } {
  const head = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const kind = r.pick([
    'lowercase_method',
    'nul_in_path',
    'cl_and_te',
    'bad_chunked',
    'http10_no_length',
    'garbage',
    'huge_header',
    'bad_header_name',
    'two_content_lengths',
  ]);
  switch (kind) {
    case 'lowercase_method':
      return {
        kind,
        bytes: Buffer.concat([
          head([`post ${url} HTTP/1.1`, 'Host: b', `Content-Length: ${body.length}`]),
          body,
        ]),
      };
    case 'nul_in_path':
      return {
        kind,
        bytes: head([`POST ${url}\0x HTTP/1.1`, 'Host: b', 'Content-Length: 0']),
      };
    case 'cl_and_te':
      return {
        kind,
        bytes: Buffer.concat([
          head([
            `POST ${url} HTTP/1.1`,
            'Host: b',
            `Content-Length: ${body.length}`,
            'Transfer-Encoding: chunked',
          ]),
          body,
        ]),
      };
    case 'bad_chunked':
      return {
        kind,
        bytes: Buffer.concat([
          head([`POST ${url} HTTP/1.1`, 'Host: b', 'Transfer-Encoding: chunked']),
          Buffer.from(`${r.pick(['zz', '-1', 'ffffffffffffffffff'])}\r\n`),
          body,
          Buffer.from('\r\n0\r\n\r\n'),
        ]),
      };
    case 'http10_no_length':
      return {
        kind,
        bytes: Buffer.concat([head([`POST ${url} HTTP/1.0`, 'Host: b']), body]),
      };
    case 'garbage':
      return {
        kind,
        bytes: Buffer.from(r.string(r.int(1, 300), '\x00\x16\x03\x01 GETPOST/\r\n:x')),
      };
    case 'huge_header':
      return {
        kind,
        bytes: head([
          `POST ${url} HTTP/1.1`,
          'Host: b',
          `X-Pad: ${'p'.repeat(r.int(16_500, 30_000))}`,
        ]),
      };
    case 'bad_header_name':
      return {
        kind,
        bytes: head([`POST ${url} HTTP/1.1`, 'Host: b', 'Bad Header: x', 'Content-Length: 0']),
      };
    default:
      return {
        kind,
        bytes: Buffer.concat([
          head([`POST ${url} HTTP/1.1`, 'Host: b', 'Content-Length: 1', 'Content-Length: 2']),
          body,
        ]),
      };
  }
}

/**
 * One fuzz case: a fixture body and query, each mutated at random (most requests get one
 * mutation; some get several).
 */
export function fuzzCase(r: Random): FuzzCase {
  const command = r.pick(ALL_COMMANDS);
  const baseUrl = new URL(`http://b${callbackUrl({ command })}`);
  const params = baseUrl.searchParams;
  const authKind = r.bool(0.55) ? 'valid' : r.pick(Object.keys(AUTH_MUTATIONS));
  let authenticated = AUTH_MUTATIONS[authKind]!(params, r);
  let body: Buffer = Buffer.from(sampleText(command));
  if (!authenticated) {
    // Marked first thing in the body (truncation keeps it), and in the room id where there is one.
    body = Buffer.from(
      body
        .toString()
        .replace('{', `{"Mark":"${UNAUTHENTICATED_MARK}",`)
        .replace(/"RoomId"\s*:\s*"[^"]*"/, `"RoomId":"${UNAUTHENTICATED_MARK}"`),
    );
  }
  const bodyKind = r.bool(0.3) ? 'none' : r.pick(Object.keys(BODY_MUTATIONS));
  body = BODY_MUTATIONS[bodyKind]!(body, r);
  const queryKind = r.bool(0.7) ? 'none' : r.pick(Object.keys(QUERY_MUTATIONS));
  QUERY_MUTATIONS[queryKind]!(params, r);
  // A changed SdkAppid or a duplicated Sign may no longer authenticate; never count on it.
  if (queryKind === 'duplicate_param' || queryKind === 'missing_param') authenticated = false;
  const oddCaseApp = params.get('sDkApPiD');
  if (queryKind === 'odd_case' && oddCaseApp !== APP_ID && oddCaseApp !== UNSIGNED_APP)
    authenticated = false;
  const url = `${r.bool(0.97) ? PATH : r.pick(['/', '/metrics', `${PATH}/x`, '/WEBHOOKS/tencent/live'])}?${params.toString()}`;
  if (r.bool(0.06)) {
    const raw = rawOddity(r, url, body);
    return { kind: `raw:${raw.kind}`, bytes: raw.bytes, authenticated: false };
  }
  const method = r.bool(0.9) ? 'POST' : r.pick(METHODS);
  const contentType = r.bool(0.9) ? r.pick(GOOD_CONTENT_TYPES) : r.pick(BAD_CONTENT_TYPES);
  const lines = [`${method} ${url} HTTP/1.1`, 'Host: bridge', 'Connection: close'];
  if (contentType !== undefined) lines.push(`Content-Type: ${contentType}`);
  let encodingKind = '';
  if (r.bool(0.04)) {
    encodingKind = '+gzip';
    body = gzipSync(body);
    lines.push('Content-Encoding: gzip');
  } else if (r.bool(0.02)) {
    encodingKind = '+br_label';
    lines.push('Content-Encoding: br');
  }
  lines.push(`Content-Length: ${body.length}`);
  return {
    kind: `${authKind}/${bodyKind}/${queryKind}/${method}${encodingKind}`,
    bytes: Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]),
    authenticated,
  };
}
