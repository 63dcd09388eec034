import type { Boom } from '@hapi/boom';
import type { RejectionCode } from '../errors';
import { CallbackRejectedError, PublishError, REJECTIONS, RecordRefusedError } from '../errors';
import { failBody } from '../tencent/protocol';

/** A refusal as it goes on the wire: HTTP status, Tencent FAIL body fields, metric reason. */
export interface Rejection {
  code: RejectionCode;
  status: number;
  errorCode: number;
  reason: string;
  message: string;
}

/**
 * What we know about a failure that did not come from our own code: hapi's Boom errors, and
 * Node's HTTP parser errors (the listener's `clientError`, src/http/client-error.ts).
 */
export interface ForeignFailure {
  /** hapi's status, or undefined for a parser error. */
  status: number | undefined;
  /** hapi's message (never sent on: it may quote input). */
  message: string;
  /** Node's parser error code (`HPE_*`, `ERR_HTTP_*`) seen on the request's socket, if any. */
  parserError: string | undefined;
}

/**
 * A parser error decides only for Node's own refusal (no status) or for the 400 hapi answers
 * because of it; a client that hangs up mid-body also ends the parse with an error, but hapi's
 * 499 says what happened.
 */
function parsedBadly(f: ForeignFailure, code?: string): boolean {
  if (f.parserError === undefined || (f.status !== undefined && f.status !== 400)) return false;
  return code === undefined || f.parserError === code;
}

/**
 * THE table: every failure ours or hapi's or Node's, to the rejection we answer with, first match
 * wins. Each row names where the failure comes from, because hapi reuses statuses: its 400 is a
 * URL it cannot parse, a Content-Type that does not parse, or its answer to a parser error on a
 * request already under way; its only 503 is the route's `timeout.server` (our own 503s are typed
 * errors and never reach this table).
 */
const FOREIGN: readonly { when: (f: ForeignFailure) => boolean; code: RejectionCode }[] = [
  // Node: request line plus headers over `--max-http-header-size` (16 KiB).
  { when: (f) => parsedBadly(f, 'HPE_HEADER_OVERFLOW'), code: 'HEADERS_TOO_LARGE' },
  // Node: headers not complete within `server.headersTimeout` / `requestTimeout`.
  { when: (f) => parsedBadly(f, 'ERR_HTTP_REQUEST_TIMEOUT'), code: 'REQUEST_TIMEOUT' },
  // Node: anything else its parser refuses (lowercase method, NUL in the path, Content-Length
  // with Transfer-Encoding, bad chunked framing, bytes after an HTTP/1.0 body without a length).
  { when: (f) => parsedBadly(f), code: 'REQUEST_MALFORMED' },
  // @hapi/subtext: `Content-Type: json`, `application/json, text/plain`.
  {
    when: (f) => f.status === 400 && f.message === 'Invalid content-type header',
    code: 'CONTENT_TYPE_INVALID',
  },
  // hapi: a URL (path or query) it cannot parse.
  { when: (f) => f.status === 400, code: 'QUERY_INVALID' },
  { when: (f) => f.status === 404, code: 'NOT_FOUND' },
  { when: (f) => f.status === 405, code: 'METHOD_NOT_ALLOWED' },
  // hapi: the route's payload timeout.
  { when: (f) => f.status === 408, code: 'REQUEST_TIMEOUT' },
  // hapi: a Content-Length over the route's `payload.maxBytes`.
  { when: (f) => f.status === 413, code: 'BODY_TOO_LARGE' },
  { when: (f) => f.status === 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  // hapi: the client went away before its request was complete (`disconnectStatusCode`).
  { when: (f) => f.status === 499, code: 'BODY_INCOMPLETE' },
  // hapi: the route's `timeout.server` ran out (config `server.requestTimeoutMs`).
  { when: (f) => f.status === 503, code: 'ROUTE_TIMEOUT' },
];

/** Messages for rejections whose cause's own message is not ours to send. */
const SAFE_MESSAGES: Partial<Record<RejectionCode, string>> = {
  NOT_FOUND: 'no such route',
  METHOD_NOT_ALLOWED: 'use POST',
  REQUEST_TIMEOUT: 'request arrived too slowly',
  BODY_INCOMPLETE: 'the body was cut short',
  BODY_TOO_LARGE: 'body is larger than the limit',
  UNSUPPORTED_MEDIA_TYPE: 'body must be JSON',
  CONTENT_TYPE_INVALID: 'Content-Type does not parse',
  REQUEST_MALFORMED: 'malformed HTTP request',
  HEADERS_TOO_LARGE: 'request line and headers are too large',
  ROUTE_TIMEOUT: 'no answer within the request timeout',
  OVERLOADED: 'try again later',
  INTERNAL: 'internal error',
  QUERY_INVALID: 'bad request',
};

function rejection(code: RejectionCode, message?: string): Rejection {
  const { status, errorCode, reason } = REJECTIONS[code];
  return { code, status, errorCode, reason, message: message ?? SAFE_MESSAGES[code] ?? reason };
}

/** The rejection for a failure from hapi or Node's parser (see FOREIGN). */
export function foreignRejection(failure: ForeignFailure): Rejection {
  const row = FOREIGN.find((candidate) => candidate.when(failure));
  return rejection(row?.code ?? 'INTERNAL');
}

/**
 * Turns any error that reached the HTTP layer into the refusal we answer with. This is the only
 * place errors become HTTP. Our own errors keep their code and message; anything else (hapi's
 * 413/415/404, Node's parser errors, bugs) gets a fixed message, so no stack, input or internal
 * detail leaves the process.
 */
export function toRejection(error: Boom | Error, parserError?: string): Rejection {
  if (error instanceof CallbackRejectedError) return rejection(error.code, error.message);
  if (error instanceof RecordRefusedError) {
    return rejection('KAFKA_REFUSED', `Kafka refused the event (${error.kafkaError})`);
  }
  if (error instanceof PublishError) {
    return rejection(
      error.code,
      error.code === 'PUBLISH_TIMEOUT' ? 'Kafka did not answer in time' : 'Kafka is unavailable',
    );
  }
  if (!('isBoom' in error && error.isBoom) || error.output.statusCode === 500) {
    return rejection('INTERNAL');
  }
  return foreignRejection({ status: error.output.statusCode, message: error.message, parserError });
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** A refusal's response parts, for answering outside hapi: status, headers, Tencent FAIL body. */
export interface ClosingResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A refusal as a response that closes the connection, for the answers written outside hapi's
 * lifecycle (src/http/client-error.ts, src/http/pipeline-limit.ts).
 */
export function closingResponse(refusal: Rejection): ClosingResponse {
  const body = failBody(refusal.errorCode, refusal.message);
  return {
    status: refusal.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    },
    body,
  };
}

/**
 * A whole HTTP/1.1 response in Tencent's format, for answering on a raw socket where no request
 * object exists (Node's parser refused the request). Closes the connection.
 */
export function rawResponse(refusal: Rejection): string {
  const { status, headers, body } = closingResponse(refusal);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\n${lines.join('')}\r\n${body}`;
}
