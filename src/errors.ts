/**
 * Every way a callback can be refused, with its HTTP status, the non-zero `ErrorCode` we put in
 * Tencent's response body, and the bounded `reason` label used in metrics and logs.
 *
 * Errors become HTTP in exactly one place (src/http/respond.ts); everything else throws these.
 */
export const REJECTIONS = {
  QUERY_INVALID: { status: 400, errorCode: 40001, reason: 'query_invalid' },
  JSON_INVALID: { status: 400, errorCode: 40002, reason: 'json_invalid' },
  COMMAND_MISMATCH: { status: 400, errorCode: 40003, reason: 'command_mismatch' },
  PAYLOAD_INVALID: { status: 400, errorCode: 40004, reason: 'payload_invalid' },
  BODY_INCOMPLETE: { status: 400, errorCode: 40005, reason: 'body_incomplete' },
  // Nested deeper than MAX_JSON_DEPTH (src/tencent/json.ts): refused and quarantined (issue 14).
  JSON_TOO_DEEP: { status: 400, errorCode: 40006, reason: 'json_too_deep' },
  // Node's HTTP parser refused the request before hapi saw it (bad method, NUL in the path,
  // Content-Length with Transfer-Encoding, bad chunked framing …): see src/http/client-error.ts.
  REQUEST_MALFORMED: { status: 400, errorCode: 40007, reason: 'request_malformed' },
  // A Content-Type header that does not parse (`json`, `application/json, text/plain`).
  CONTENT_TYPE_INVALID: { status: 400, errorCode: 40008, reason: 'content_type_invalid' },
  SIGNATURE_MISSING: { status: 401, errorCode: 40101, reason: 'signature_missing' },
  SIGNATURE_MISMATCH: { status: 401, errorCode: 40102, reason: 'signature_mismatch' },
  SIGNATURE_EXPIRED: { status: 401, errorCode: 40103, reason: 'signature_expired' },
  SIGNATURE_MALFORMED: { status: 401, errorCode: 40104, reason: 'signature_malformed' },
  APP_UNKNOWN: { status: 403, errorCode: 40301, reason: 'app_unknown' },
  // The client address is outside `server.sourceAllowlist` (issue 14).
  SOURCE_NOT_ALLOWED: { status: 403, errorCode: 40302, reason: 'source_not_allowed' },
  NOT_FOUND: { status: 404, errorCode: 40401, reason: 'not_found' },
  METHOD_NOT_ALLOWED: { status: 405, errorCode: 40501, reason: 'method_not_allowed' },
  BODY_TOO_LARGE: { status: 413, errorCode: 41301, reason: 'body_too_large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, errorCode: 41501, reason: 'unsupported_media_type' },
  // Any Content-Encoding but identity: Tencent sends plain JSON, and decoding would let a few
  // bytes inside the limit expand past it (issue 14).
  ENCODING_UNSUPPORTED: { status: 415, errorCode: 41502, reason: 'encoding_unsupported' },
  REQUEST_TIMEOUT: { status: 408, errorCode: 40801, reason: 'request_timeout' },
  // More requests pipelined on one connection than `connections.maxPipelinedRequests` allows
  // behind the one under way: answered after the earlier ones, then the connection is closed
  // (src/http/pipeline-limit.ts, issue 14).
  PIPELINE_TOO_DEEP: { status: 429, errorCode: 42901, reason: 'pipeline_too_deep' },
  // Request line and headers larger than Node's limit (`--max-http-header-size`, 16 KiB).
  HEADERS_TOO_LARGE: { status: 431, errorCode: 43101, reason: 'headers_too_large' },
  INTERNAL: { status: 500, errorCode: 50001, reason: 'internal' },
  // Kafka refused the event for good and neither the quarantine topic nor a spool could keep it.
  KAFKA_REFUSED: { status: 500, errorCode: 50002, reason: 'kafka_refused' },
  PUBLISH_FAILED: { status: 503, errorCode: 50301, reason: 'publish_failed' },
  PUBLISH_TIMEOUT: { status: 503, errorCode: 50302, reason: 'publish_timeout' },
  OVERLOADED: { status: 503, errorCode: 50303, reason: 'overloaded' },
  SHUTTING_DOWN: { status: 503, errorCode: 50304, reason: 'shutting_down' },
  SPOOL_UNAVAILABLE: { status: 503, errorCode: 50305, reason: 'spool_unavailable' },
  // The route's `timeout.server` (config `server.requestTimeoutMs`) ran out before an answer.
  ROUTE_TIMEOUT: { status: 503, errorCode: 50306, reason: 'route_timeout' },
} as const;

export type RejectionCode = keyof typeof REJECTIONS;
export type RejectionReason = (typeof REJECTIONS)[RejectionCode]['reason'];

/** A callback we refuse. `message` is short, safe to send to the caller and to log. */
export class CallbackRejectedError extends Error {
  override readonly name = 'CallbackRejectedError';
  readonly code: RejectionCode;

  constructor(code: RejectionCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get status(): number {
    return REJECTIONS[this.code].status;
  }

  get reason(): RejectionReason {
    return REJECTIONS[this.code].reason;
  }
}

/**
 * Publishing failed for a reason that may pass (broker down, timeout, leader moving, topic
 * missing): the same record may succeed later, so it is spooled and retried.
 */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  readonly code: 'PUBLISH_FAILED' | 'PUBLISH_TIMEOUT';
  readonly retriable = true;
  /** Kafka's error name when a broker answered with one (e.g. `UNKNOWN_TOPIC_OR_PARTITION`). */
  readonly kafkaError: string | undefined;

  constructor(
    code: 'PUBLISH_FAILED' | 'PUBLISH_TIMEOUT',
    message: string,
    options?: { cause?: unknown; kafkaError?: string | undefined },
  ) {
    super(message, options);
    this.code = code;
    this.kafkaError = options?.kafkaError;
  }
}

/**
 * Kafka refused a record for good (a `permanent` error in src/kafka/kafka-errors.ts, e.g.
 * MESSAGE_TOO_LARGE, or a record larger than its topic's `max.message.bytes` found before
 * sending). Retrying it cannot succeed: the record goes to the quarantine topic or the spool's
 * dead-letter table instead, and the records behind it flow on (issue #15).
 */
export class RecordRefusedError extends Error {
  override readonly name = 'RecordRefusedError';
  readonly code = 'RECORD_REFUSED';
  readonly retriable = false;

  constructor(
    /** Kafka's error name, e.g. `MESSAGE_TOO_LARGE`. */
    readonly kafkaError: string,
    /** The topic that refused it. */
    readonly topic: string,
    options?: { cause?: unknown },
  ) {
    super(`Kafka refused the record for topic ${topic}: ${kafkaError}`, options);
  }
}
