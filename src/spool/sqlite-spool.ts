import { mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import { SpoolFullError, SpoolUnavailableError } from './spool';
import type {
  DeadLetterMark,
  DeadLetterMessage,
  DeadLetterRecord,
  SpooledMessage,
  SpoolRecord,
  SpoolStats,
  SyncSpool,
} from './spool';

export interface SqliteSpoolOptions {
  /** Path of the SQLite database file; its directory is created if missing. */
  path: string;
  /** Max number of records held. */
  maxEvents: number;
  /** Max approximate bytes held (see SpoolStats.bytes). */
  maxBytes: number;
  /** Appends fail while the oldest record is older than this. */
  maxAgeSeconds: number;
  /** Clock for the age bound (epoch ms). Default Date.now. */
  now?: () => number;
  /**
   * Optional hard cap on the database size (SQLite max_page_count). Beyond it SQLite reports
   * "database or disk is full" and the append fails with SpoolUnavailableError, exactly like a
   * full disk. Default: no cap other than the disk.
   */
  maxFileBytes?: number;
  /**
   * Room kept free on the file's volume: appends (and new dead letters) fail with SpoolFullError
   * (`minFreeBytes`) while fewer bytes than this plus their own are free. SQLite needs room in
   * its WAL to delete rows too, so a volume the spool filled would keep the drainer from removing
   * what Kafka acknowledged and stall every event behind it (found by an adversarial review). The
   * drain's own writes are never refused. Default 0: no floor.
   */
  minFreeBytes?: number;
  /** Free bytes on the volume holding `dir` (tests). Default: statfs's blocks available. */
  freeBytes?: (dir: string) => number;
}

/** Bytes an unprivileged process may still write on the volume holding `dir` (statfs). */
export function volumeFreeBytes(dir: string): number {
  const { bavail, bsize } = statfsSync(dir);
  return bavail * bsize;
}

/**
 * Bumped when the table layout changes. Version 1 (no dead-letter table) is upgraded in place;
 * a file with a newer version is refused.
 */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS spool (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  topic       TEXT    NOT NULL,
  key         TEXT    NOT NULL,
  value       BLOB    NOT NULL,
  headers     TEXT    NOT NULL,
  event_id    TEXT    NOT NULL,
  accepted_at INTEGER NOT NULL,
  bytes       INTEGER NOT NULL
)`;

/** Records Kafka refused for good (issue #15): kept for an operator, never retried on their own. */
const DEAD_LETTER_SCHEMA = `
CREATE TABLE IF NOT EXISTS dead_letter (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  topic            TEXT    NOT NULL,
  key              TEXT    NOT NULL,
  value            BLOB    NOT NULL,
  headers          TEXT    NOT NULL,
  event_id         TEXT    NOT NULL,
  accepted_at      INTEGER NOT NULL,
  kafka_error      TEXT    NOT NULL,
  dead_lettered_at INTEGER NOT NULL
)`;

const COLUMNS = 'seq, topic, key, value, headers, event_id, accepted_at';

interface Statements {
  insert: StatementSync;
  peek: StatementSync;
  aggregateThrough: StatementSync;
  deleteThrough: StatementSync;
  head: StatementSync;
  totals: StatementSync;
  moveToDeadLetter: StatementSync;
  insertDeadLetter: StatementSync;
  deadLetters: StatementSync;
  deadLetterCount: StatementSync;
  deadLetter: StatementSync;
  requeue: StatementSync;
  deleteDeadLetter: StatementSync;
}

/**
 * Durable FIFO of Kafka messages on node:sqlite. WAL journal + synchronous=FULL: when append()
 * returns, the transaction is fsync'd. The file is opened with an exclusive lock, so a second
 * process (or a second spool in this process) on the same file fails fast with
 * SpoolUnavailableError instead of draining the same records twice.
 *
 * Not thread-safe across worker threads; every method is synchronous and runs on the caller's
 * thread (one fsync per append call, so batch concurrent requests into one append).
 *
 * A batch is never partially stored. In the rare case that the fsync of COMMIT itself fails, the
 * batch may still be on disk although append() threw (SQLite cannot tell); the counters are then
 * re-read from the file, and the record will be drained like any other (at-least-once).
 */
export function createSqliteSpool(opts: SqliteSpoolOptions): SyncSpool {
  checkLimit('maxEvents', opts.maxEvents);
  checkLimit('maxBytes', opts.maxBytes);
  checkLimit('maxAgeSeconds', opts.maxAgeSeconds);
  if (opts.maxFileBytes !== undefined) checkLimit('maxFileBytes', opts.maxFileBytes);
  const minFreeBytes = opts.minFreeBytes ?? 0;
  if (!Number.isSafeInteger(minFreeBytes) || minFreeBytes < 0) {
    throw new RangeError(`minFreeBytes must be a non-negative integer, got ${minFreeBytes}`);
  }
  const freeBytes = opts.freeBytes ?? volumeFreeBytes;
  const now = opts.now ?? Date.now;
  const maxAgeMs = opts.maxAgeSeconds * 1000;

  const db = openDatabase(opts.path, opts.maxFileBytes);
  let stmts: Statements;
  let depth: number;
  let bytes: number;
  let oldestAcceptedAt: number | undefined;
  let deadLetterCount: number;
  try {
    stmts = {
      insert: db.prepare(
        'INSERT INTO spool (topic, key, value, headers, event_id, accepted_at, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      peek: db.prepare(`SELECT ${COLUMNS} FROM spool ORDER BY seq LIMIT ?`),
      aggregateThrough: db.prepare(
        'SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM spool WHERE seq <= ?',
      ),
      deleteThrough: db.prepare('DELETE FROM spool WHERE seq <= ?'),
      head: db.prepare('SELECT accepted_at FROM spool ORDER BY seq LIMIT 1'),
      totals: db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM spool'),
      moveToDeadLetter: db.prepare(
        'INSERT INTO dead_letter (topic, key, value, headers, event_id, accepted_at, kafka_error, dead_lettered_at) ' +
          'SELECT topic, key, value, headers, event_id, accepted_at, ?, ? FROM spool WHERE seq = ?',
      ),
      insertDeadLetter: db.prepare(
        'INSERT INTO dead_letter (topic, key, value, headers, event_id, accepted_at, kafka_error, dead_lettered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      deadLetters: db.prepare(
        'SELECT id, topic, key, value, headers, event_id, accepted_at, kafka_error, dead_lettered_at FROM dead_letter WHERE id > ? ORDER BY id LIMIT ?',
      ),
      deadLetterCount: db.prepare('SELECT COUNT(*) AS n FROM dead_letter'),
      deadLetter: db.prepare(
        'SELECT id, topic, key, value, headers, event_id, accepted_at, kafka_error, dead_lettered_at FROM dead_letter WHERE id = ?',
      ),
      requeue: db.prepare(
        'INSERT INTO spool (topic, key, value, headers, event_id, accepted_at, bytes) ' +
          'SELECT topic, key, value, headers, event_id, ?, ' +
          'length(value) + length(CAST(key AS BLOB)) + length(CAST(headers AS BLOB)) ' +
          'FROM dead_letter WHERE id = ?',
      ),
      deleteDeadLetter: db.prepare('DELETE FROM dead_letter WHERE id = ?'),
    };
    const totals = readTotals(stmts);
    depth = totals.depth;
    bytes = totals.bytes;
    oldestAcceptedAt = totals.oldestAcceptedAt;
    deadLetterCount = totals.deadLetters;
  } catch (err) {
    closeQuietly(db);
    throw unavailable(`cannot read spool ${opts.path}`, err);
  }

  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new SpoolUnavailableError(`spool ${opts.path} is closed`);
  }

  /** Refuses a write of `adding` bytes that would leave less than minFreeBytes on the volume. */
  function keepFloor(adding: number): void {
    if (minFreeBytes === 0) return;
    let free: number;
    try {
      free = freeBytes(dirname(opts.path));
    } catch (err) {
      throw unavailable(`cannot read the free space of the volume of ${opts.path}`, err);
    }
    if (free - adding < minFreeBytes) {
      throw new SpoolFullError(
        'minFreeBytes',
        `spool full: ${free} bytes free on its volume, fewer than minFreeBytes ${minFreeBytes} + ${adding}`,
      );
    }
  }

  /** Re-reads the counters from the file after a failed transaction (it may or may not have applied). */
  function resyncCounters(): void {
    try {
      const totals = readTotals(stmts);
      depth = totals.depth;
      bytes = totals.bytes;
      oldestAcceptedAt = totals.oldestAcceptedAt;
      deadLetterCount = totals.deadLetters;
    } catch {
      // Keep the last known counters; the next successful call corrects them.
    }
  }

  function rollbackQuietly(): void {
    try {
      if (db.isTransaction) db.exec('ROLLBACK');
    } catch {
      // SQLite already rolled back (e.g. after SQLITE_FULL / SQLITE_IOERR).
    }
  }

  return {
    append(messages: readonly SpooledMessage[]): SpoolRecord[] {
      ensureOpen();
      if (messages.length === 0) return [];

      const sizes = messages.map(messageBytes);
      const addedBytes = sizes.reduce((a, b) => a + b.bytes, 0);
      if (depth + messages.length > opts.maxEvents) {
        throw new SpoolFullError(
          'maxEvents',
          `spool full: ${depth} + ${messages.length} records would exceed maxEvents ${opts.maxEvents}`,
        );
      }
      if (bytes + addedBytes > opts.maxBytes) {
        throw new SpoolFullError(
          'maxBytes',
          `spool full: ${bytes} + ${addedBytes} bytes would exceed maxBytes ${opts.maxBytes}`,
        );
      }
      if (oldestAcceptedAt !== undefined && now() - oldestAcceptedAt > maxAgeMs) {
        throw new SpoolFullError(
          'maxAge',
          `spool full: oldest record (acceptedAt ${oldestAcceptedAt}) is older than maxAgeSeconds ${opts.maxAgeSeconds}`,
        );
      }
      keepFloor(addedBytes);

      const records: SpoolRecord[] = [];
      try {
        db.exec('BEGIN IMMEDIATE');
        messages.forEach((m, i) => {
          const size = sizes[i]!;
          const res = stmts.insert.run(
            m.topic,
            m.key,
            m.value,
            size.headersJson,
            m.eventId,
            m.acceptedAt,
            size.bytes,
          );
          records.push({
            topic: m.topic,
            key: m.key,
            value: m.value,
            headers: m.headers,
            eventId: m.eventId,
            acceptedAt: m.acceptedAt,
            seq: Number(res.lastInsertRowid),
          });
        });
        db.exec('COMMIT');
      } catch (err) {
        rollbackQuietly();
        resyncCounters();
        throw unavailable(`cannot append ${messages.length} records to spool ${opts.path}`, err);
      }
      if (depth === 0) oldestAcceptedAt = messages[0]!.acceptedAt;
      depth += messages.length;
      bytes += addedBytes;
      return records;
    },

    peek(limit: number): SpoolRecord[] {
      ensureOpen();
      if (!Number.isInteger(limit) || limit < 0) {
        throw new RangeError(`peek limit must be a non-negative integer, got ${limit}`);
      }
      if (limit === 0 || depth === 0) return [];
      try {
        return stmts.peek.all(limit).map(toRecord);
      } catch (err) {
        throw unavailable(`cannot read spool ${opts.path}`, err);
      }
    },

    removeThrough(upToSeq: number, deadLetters: readonly DeadLetterMark[] = []): void {
      ensureOpen();
      if (!Number.isFinite(upToSeq)) {
        throw new RangeError(`removeThrough needs a finite seq, got ${upToSeq}`);
      }
      if (depth === 0) return;
      let removed: number;
      let removedBytes: number;
      let head: number | undefined;
      let moved = 0;
      try {
        db.exec('BEGIN IMMEDIATE');
        const deadLetteredAt = now();
        for (const mark of deadLetters) {
          if (mark.seq > upToSeq) continue;
          const result = stmts.moveToDeadLetter.run(mark.kafkaError, deadLetteredAt, mark.seq);
          moved += Number(result.changes);
        }
        const agg = stmts.aggregateThrough.get(upToSeq);
        removed = intColumn(agg, 'n');
        removedBytes = intColumn(agg, 'b');
        if (removed > 0) stmts.deleteThrough.run(upToSeq);
        const headRow = stmts.head.get();
        head = headRow === undefined ? undefined : intColumn(headRow, 'accepted_at');
        db.exec('COMMIT');
      } catch (err) {
        rollbackQuietly();
        resyncCounters();
        throw unavailable(
          `cannot remove records through seq ${upToSeq} from spool ${opts.path}`,
          err,
        );
      }
      depth -= removed;
      bytes -= removedBytes;
      oldestAcceptedAt = head;
      deadLetterCount += moved;
    },

    addDeadLetters(messages: readonly DeadLetterMessage[]): void {
      ensureOpen();
      if (messages.length === 0) return;
      keepFloor(messages.reduce((sum, m) => sum + messageBytes(m).bytes, 0));
      try {
        db.exec('BEGIN IMMEDIATE');
        const deadLetteredAt = now();
        for (const m of messages) {
          stmts.insertDeadLetter.run(
            m.topic,
            m.key,
            m.value,
            JSON.stringify(m.headers),
            m.eventId,
            m.acceptedAt,
            m.kafkaError,
            deadLetteredAt,
          );
        }
        db.exec('COMMIT');
      } catch (err) {
        rollbackQuietly();
        resyncCounters();
        throw unavailable(`cannot store ${messages.length} dead letters in ${opts.path}`, err);
      }
      deadLetterCount += messages.length;
    },

    deadLetters(limit: number, afterId = 0): DeadLetterRecord[] {
      ensureOpen();
      try {
        return stmts.deadLetters.all(afterId, limit).map(toDeadLetter);
      } catch (err) {
        throw unavailable(`cannot read dead letters of ${opts.path}`, err);
      }
    },

    requeueDeadLetters(ids: readonly number[]): DeadLetterRecord[] {
      ensureOpen();
      let rows: DeadLetterRecord[];
      try {
        rows = [...new Set(ids)]
          .sort((a, b) => a - b)
          .flatMap((id) => {
            const row = stmts.deadLetter.get(id);
            return row === undefined ? [] : [toDeadLetter(row)];
          });
      } catch (err) {
        throw unavailable(`cannot read dead letters of ${opts.path}`, err);
      }
      // Records back in the spool are new data there: the same floor as an append.
      keepFloor(rows.reduce((sum, row) => sum + messageBytes(row).bytes, 0));
      try {
        db.exec('BEGIN IMMEDIATE');
        const requeuedAt = now();
        for (const row of rows) {
          stmts.requeue.run(requeuedAt, row.id);
          stmts.deleteDeadLetter.run(row.id);
        }
        db.exec('COMMIT');
      } catch (err) {
        rollbackQuietly();
        throw unavailable(`cannot re-queue dead letters of ${opts.path}`, err);
      } finally {
        resyncCounters();
      }
      return rows;
    },

    stats(): SpoolStats {
      return { depth, bytes, oldestAcceptedAt, deadLetters: deadLetterCount };
    },

    isEmpty(): boolean {
      return depth === 0;
    },

    close(): void {
      if (closed) return;
      closed = true;
      closeQuietly(db);
    },
  };
}

function openDatabase(path: string, maxFileBytes: number | undefined): DatabaseSync {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    throw unavailable(`cannot create spool directory for ${path}`, err);
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (err) {
    throw unavailable(`cannot open spool ${path}`, err);
  }
  try {
    // Exclusive lock for the lifetime of the connection: one process owns the spool. In WAL mode
    // this also keeps the WAL index in process memory (no -shm file).
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    const mode = db.prepare('PRAGMA journal_mode = WAL').get();
    if (mode?.['journal_mode'] !== 'wal') {
      throw new Error(
        `journal_mode WAL not supported here (got ${String(mode?.['journal_mode'])})`,
      );
    }
    // FULL: the WAL is fsync'd at every commit, so a committed append survives SIGKILL and
    // power loss (NORMAL would only survive process crashes).
    db.exec('PRAGMA synchronous = FULL');
    // Keep the WAL file from staying huge after a burst (it is truncated to this after a checkpoint).
    db.exec('PRAGMA journal_size_limit = 67108864');
    if (maxFileBytes !== undefined) {
      const pageSize = intColumn(db.prepare('PRAGMA page_size').get(), 'page_size');
      db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(maxFileBytes / pageSize))}`);
    }
    // Take the exclusive lock now (fails with "database is locked" if someone else holds it) and
    // create or check the schema.
    db.exec('BEGIN IMMEDIATE');
    const version = intColumn(db.prepare('PRAGMA user_version').get(), 'user_version');
    if (version === 0 || version === 1) {
      db.exec(SCHEMA);
      db.exec(DEAD_LETTER_SCHEMA);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    } else if (version !== SCHEMA_VERSION) {
      throw new Error(`unknown spool schema version ${version} (expected ${SCHEMA_VERSION})`);
    }
    db.exec('COMMIT');
    return db;
  } catch (err) {
    closeQuietly(db);
    throw unavailable(`cannot open spool ${path}`, err);
  }
}

function readTotals(stmts: Statements): SpoolStats {
  const totals = stmts.totals.get();
  const head = stmts.head.get();
  return {
    depth: intColumn(totals, 'n'),
    bytes: intColumn(totals, 'b'),
    oldestAcceptedAt: head === undefined ? undefined : intColumn(head, 'accepted_at'),
    deadLetters: intColumn(stmts.deadLetterCount.get(), 'n'),
  };
}

function messageBytes(m: SpooledMessage): { bytes: number; headersJson: string } {
  const headersJson = JSON.stringify(m.headers);
  return {
    headersJson,
    bytes: m.value.length + Buffer.byteLength(m.key) + Buffer.byteLength(headersJson),
  };
}

type Row = Record<string, unknown>;

function intColumn(row: Row | undefined, name: string): number {
  const v = row?.[name];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new Error(`spool row: column ${name} is not an integer (${typeof v})`);
}

function textColumn(row: Row, name: string): string {
  const v = row[name];
  if (typeof v !== 'string') throw new Error(`spool row: column ${name} is not text (${typeof v})`);
  return v;
}

function toRecord(row: Row): SpoolRecord {
  const value = row['value'];
  if (!(value instanceof Uint8Array)) throw new Error('spool row: column value is not a blob');
  const headers: unknown = JSON.parse(textColumn(row, 'headers'));
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new Error('spool row: headers is not a JSON object');
  }
  return {
    seq: intColumn(row, 'seq'),
    topic: textColumn(row, 'topic'),
    key: textColumn(row, 'key'),
    value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
    headers: headers as Record<string, string>,
    eventId: textColumn(row, 'event_id'),
    acceptedAt: intColumn(row, 'accepted_at'),
  };
}

function toDeadLetter(row: Row): DeadLetterRecord {
  const record: Partial<SpoolRecord> = toRecord({ ...row, seq: 0 });
  delete record.seq;
  return {
    ...(record as SpooledMessage),
    id: intColumn(row, 'id'),
    kafkaError: textColumn(row, 'kafka_error'),
    deadLetteredAt: intColumn(row, 'dead_lettered_at'),
  };
}

function unavailable(message: string, cause: unknown): SpoolUnavailableError {
  if (cause instanceof SpoolUnavailableError) return cause;
  // Not `instanceof Error`: errors thrown by node:sqlite may come from another realm (e.g. jest).
  const detail =
    typeof cause === 'object' && cause !== null && 'message' in cause
      ? String(cause.message)
      : String(cause);
  return new SpoolUnavailableError(`${message}: ${detail}`, cause);
}

function closeQuietly(db: DatabaseSync): void {
  try {
    if (db.isOpen) db.close();
  } catch {
    // Nothing more we can do; the OS releases the lock when the process exits.
  }
}

function checkLimit(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`spool option ${name} must be a positive number, got ${value}`);
  }
}
