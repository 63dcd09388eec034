/**
 * Local durable spool: the fallback store for Kafka messages we already answered OK to Tencent
 * for but could not get acked by Kafka in time. See docs/decisions.md ("Spool storage").
 */

/** A Kafka message ready to send; the spool stores it verbatim. */
export interface SpooledMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  /** Deterministic CloudEvents id, for logs/dedupe. */
  eventId: string;
  /** Epoch ms when we accepted the callback. */
  acceptedAt: number;
}

/** A spooled message with its position; `seq` is strictly increasing in acceptance order. */
export interface SpoolRecord extends SpooledMessage {
  seq: number;
}

export interface SpoolStats {
  /** Number of records in the spool. */
  depth: number;
  /** Approximate payload bytes: value length + UTF-8 key + UTF-8 JSON of the headers. */
  bytes: number;
  /** `acceptedAt` of the oldest (lowest seq) record; undefined when empty. */
  oldestAcceptedAt: number | undefined;
}

export interface Spool {
  /**
   * Appends all messages in one transaction, durable (fsync'd) when it returns. Throws
   * SpoolFullError (code 'SPOOL_FULL') when maxEvents/maxBytes would be exceeded or the oldest
   * record is older than maxAgeSeconds (never drops old data to make room); throws
   * SpoolUnavailableError (code 'SPOOL_UNAVAILABLE', retriable false) on I/O errors.
   * All-or-nothing. Returns the stored records (same order as `messages`).
   */
  append(messages: readonly SpooledMessage[]): SpoolRecord[];
  /** Oldest first, at most `limit`. */
  peek(limit: number): SpoolRecord[];
  /** Deletes records with seq <= upToSeq (after they were acked by Kafka). */
  removeThrough(upToSeq: number): void;
  /** Cheap (in-memory counters); safe to call on every request. */
  stats(): SpoolStats;
  isEmpty(): boolean;
  /** Idempotent. Any later append/peek/removeThrough throws SpoolUnavailableError. */
  close(): void;
}

/** Which bound made an append fail. */
export type SpoolFullReason = 'maxEvents' | 'maxBytes' | 'maxAge';

/** Base class of every error the spool throws on purpose. */
export abstract class SpoolError extends Error {
  /** Stable machine-readable code, e.g. for metrics labels and log fields. */
  abstract readonly code: string;
  /** True when the same operation may succeed later without operator action. */
  abstract readonly retriable: boolean;

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
  }
}

/**
 * The spool reached one of its bounds. Nothing was written. Retriable: room appears once the
 * drainer has republished old records to Kafka (not within one Tencent request, though).
 */
export class SpoolFullError extends SpoolError {
  readonly code = 'SPOOL_FULL';
  readonly retriable = true;

  constructor(
    readonly reason: SpoolFullReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The spool cannot read or write its storage (cannot create/open the file, corrupt file, locked
 * by another process, disk full, I/O error, closed). Nothing was written by the failed call.
 */
export class SpoolUnavailableError extends SpoolError {
  readonly code = 'SPOOL_UNAVAILABLE';
  readonly retriable = false;
}

export function isSpoolError(err: unknown): err is SpoolError {
  return err instanceof SpoolError;
}
