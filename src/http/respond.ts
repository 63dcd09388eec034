import type { Boom } from '@hapi/boom';
import type { RejectionCode } from '../errors';
import { CallbackRejectedError, PublishError, REJECTIONS, RecordRefusedError } from '../errors';

/** A refusal as it goes on the wire: HTTP status, Tencent FAIL body fields, metric reason. */
export interface Rejection {
  code: RejectionCode;
  status: number;
  errorCode: number;
  reason: string;
  message: string;
}

const BY_STATUS: Record<number, RejectionCode> = {
  400: 'QUERY_INVALID',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  // hapi's status for a client that went away before its request was complete (route
  // response.disconnectStatusCode); Node reports 'aborted' only for an unfinished body.
  499: 'BODY_INCOMPLETE',
  503: 'OVERLOADED',
};

const SAFE_MESSAGES: Partial<Record<RejectionCode, string>> = {
  NOT_FOUND: 'no such route',
  METHOD_NOT_ALLOWED: 'use POST',
  REQUEST_TIMEOUT: 'request body arrived too slowly',
  BODY_INCOMPLETE: 'the body was cut short',
  BODY_TOO_LARGE: 'body is larger than the limit',
  UNSUPPORTED_MEDIA_TYPE: 'body must be JSON',
  OVERLOADED: 'try again later',
  INTERNAL: 'internal error',
  QUERY_INVALID: 'bad request',
};

/**
 * Turns any error that reached the HTTP layer into the refusal we answer with. This is the only
 * place errors become HTTP. Our own errors keep their code and message; anything else (hapi's
 * 413/415/404, bugs) gets a fixed message, so no stack or internal detail leaves the process.
 */
export function toRejection(error: Boom | Error): Rejection {
  let code: RejectionCode;
  let message: string | undefined;
  if (error instanceof CallbackRejectedError) {
    code = error.code;
    message = error.message;
  } else if (error instanceof RecordRefusedError) {
    code = 'KAFKA_REFUSED';
    message = `Kafka refused the event (${error.kafkaError})`;
  } else if (error instanceof PublishError) {
    code = error.code;
    message =
      error.code === 'PUBLISH_TIMEOUT' ? 'Kafka did not answer in time' : 'Kafka is unavailable';
  } else {
    const status = 'isBoom' in error && error.isBoom ? error.output.statusCode : 500;
    code = BY_STATUS[status] ?? 'INTERNAL';
  }
  const { status, errorCode, reason } = REJECTIONS[code];
  return { code, status, errorCode, reason, message: message ?? SAFE_MESSAGES[code] ?? reason };
}
