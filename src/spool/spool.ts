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
  /** Records Kafka refused for good, kept in the dead-letter table (not counted in `depth`). */
  deadLetters: number;
}

/** A spooled record that Kafka refused for good, to move to the dead-letter table. */
export interface DeadLetterMark {
  seq: number;
  /** Kafka's error name, e.g. `MESSAGE_TOO_LARGE`. */
  kafkaError: string;
}

/** A record (not spooled) that Kafka refused for good, to store in the dead-letter table. */
export interface DeadLetterMessage extends SpooledMessage {
  kafkaError: string;
}

/** A row of the dead-letter table. */
export interface DeadLetterRecord extends DeadLetterMessage {
  /** Strictly increasing in the order records were dead-lettered. */
  id: number;
  /** Epoch ms when it was dead-lettered. */
  deadLetteredAt: number;
}

/**
 * The spool as the pipeline uses it: every read and write is asynchronous, so the thread that
 * answers Tencent never waits on the disk (issue #15; src/spool/worker-spool.ts runs the SQLite
 * spool on the I/O worker thread). `stats` and `isEmpty` are answered from counters kept on the
 * caller's side, current as of the last settled call.
 */
export interface Spool {
  /** See SyncSpool.append. Resolves once the records are fsync'd. */
  append(messages: readonly SpooledMessage[]): Promise<void>;
  /** Oldest first, at most `limit`. */
  peek(limit: number): Promise<SpoolRecord[]>;
  /**
   * Deletes the records with seq <= upToSeq (acked by Kafka), moving the `deadLetters` among
   * them to the dead-letter table, in one transaction.
   */
  removeThrough(upToSeq: number, deadLetters?: readonly DeadLetterMark[]): Promise<void>;
  /** Stores records Kafka refused for good in the dead-letter table (fsync'd when it resolves). */
  addDeadLetters(messages: readonly DeadLetterMessage[]): Promise<void>;
  stats(): SpoolStats;
  isEmpty(): boolean;
  /** Idempotent. */
  close(): Promise<void>;
}

/**
 * The spool's storage, synchronous: used on the thread that owns the file (the I/O worker, or a
 * CLI process) and wrapped as a `Spool` by `inThreadSpool` or the worker spool.
 */
export interface SyncSpool {
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
  /**
   * Deletes records with seq <= upToSeq (after they were acked by Kafka); the `deadLetters`
   * among them move to the dead-letter table in the same transaction.
   */
  removeThrough(upToSeq: number, deadLetters?: readonly DeadLetterMark[]): void;
  /** Stores records in the dead-letter table, fsync'd when it returns. */
  addDeadLetters(messages: readonly DeadLetterMessage[]): void;
  /** Dead letters oldest first, after `afterId` (exclusive), at most `limit`. */
  deadLetters(limit: number, afterId?: number): DeadLetterRecord[];
  /**
   * Moves dead letters back to the tail of the spool, in id order, in one transaction, so the
   * drainer publishes them again (an operator's decision once the cause is fixed). Their
   * `acceptedAt` becomes now: a re-queued record must not make the spool look `maxAge` old.
   * Ids the table does not hold are skipped. Bounds are not checked (the records were already
   * accepted once). Returns the dead letters moved.
   */
  requeueDeadLetters(ids: readonly number[]): DeadLetterRecord[];
  /** Cheap (in-memory counters); safe to call on every request. */
  stats(): SpoolStats;
  isEmpty(): boolean;
  /** Idempotent. Any later append/peek/removeThrough throws SpoolUnavailableError. */
  close(): void;
}

/** A `Spool` over a `SyncSpool` on the calling thread (CLI, tests); errors become rejections. */
export function inThreadSpool(store: SyncSpool): Spool {
  const run = <T>(call: () => T): Promise<T> => {
    try {
      return Promise.resolve(call());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
  return {
    append: (messages) => run(() => void store.append(messages)),
    peek: (limit) => run(() => store.peek(limit)),
    removeThrough: (upToSeq, deadLetters) => run(() => store.removeThrough(upToSeq, deadLetters)),
    addDeadLetters: (messages) => run(() => store.addDeadLetters(messages)),
    stats: () => store.stats(),
    isEmpty: () => store.isEmpty(),
    close: () => run(() => store.close()),
  };
}

/** Which bound made an append fail. */
export type SpoolFullReason = 'maxEvents' | 'maxBytes' | 'maxAge' | 'minFreeBytes';

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

/**
 * Whether opening the spool failed because another process holds its file: SQLite's exclusive
 * lock ("database is locked", or SQLITE_BUSY), taken by a running bridge or a spool or
 * dead-letters command of the CLI.
 */
export function isSpoolHeld(err: SpoolError): boolean {
  // SQLite's text ends the message (`cannot open spool <path>: database is locked`); the path
  // before it may hold any word.
  return (
    err instanceof SpoolUnavailableError &&
    /: database (table )?is (locked|busy)$/i.test(err.message)
  );
}
