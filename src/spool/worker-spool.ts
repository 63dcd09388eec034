import type { IoThread } from '../io-thread';
import { startIoThread } from '../io-thread';
import { SpoolFullError, SpoolUnavailableError } from './spool';
import type {
  DeadLetterMark,
  DeadLetterMessage,
  Spool,
  SpooledMessage,
  SpoolFullReason,
  SpoolRecord,
  SpoolStats,
} from './spool';
import type { SqliteSpoolOptions } from './sqlite-spool';

/**
 * A call to the spool part of the I/O thread (spool-worker.ts); answered by a `SpoolReply` with
 * the same id.
 */
export type SpoolCall = { id: number } & (
  | { op: 'open' }
  | { op: 'append'; messages: readonly SpooledMessage[] }
  | { op: 'peek'; limit: number }
  | { op: 'removeThrough'; upToSeq: number; deadLetters: readonly DeadLetterMark[] | undefined }
  | { op: 'addDeadLetters'; messages: readonly DeadLetterMessage[] }
  | { op: 'close' }
);

export type SpoolReply = {
  id: number;
  /** The spool's counters after the call (undefined before it is open). */
  stats: SpoolStats | undefined;
} & (
  | { result: unknown; error?: undefined }
  | { error: { code: string; message: string; reason?: SpoolFullReason } }
);

/** Distributes `Omit` over the union, so each call keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** A compact copy: a Buffer from Node's pool would carry its whole 8 KiB slab across. */
function detached<T extends { value: Buffer | Uint8Array }>(message: T): T {
  return { ...message, value: new Uint8Array(message.value) };
}

function asBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * The SQLite spool (createSqliteSpool) on the I/O thread (io-thread.ts), behind the asynchronous
 * `Spool` interface: the event loop that answers Tencent never waits on the disk, and a slow
 * fsync delays only the answers that need it (the route timeout still fires on time). Resolves
 * once the file is open.
 * @throws SpoolUnavailableError when the file cannot be opened (locked by another process …).
 */
export async function createWorkerSpool(
  options: SqliteSpoolOptions & {
    /** The I/O thread to run on, started for these options (tests); default: a new one. */
    thread?: IoThread | undefined;
    /**
     * The thread stopped without `close()` (a crash): every later call fails with
     * SpoolUnavailableError. The server exits on it, so the spool is reopened by a fresh process.
     */
    onCrash?: (error: Error) => void;
  },
): Promise<Spool> {
  const { thread = startIoThread({ spool: spoolThreadOptions(options) }), onCrash } = options;
  const port = thread.spool;
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  let stats: SpoolStats = { depth: 0, bytes: 0, oldestAcceptedAt: undefined, deadLetters: 0 };

  const failAll = (error: Error): void => {
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };
  port.on('message', (reply: SpoolReply) => {
    if (reply.stats) stats = reply.stats;
    const call = pending.get(reply.id);
    if (!call) return;
    pending.delete(reply.id);
    if (reply.error === undefined) return call.resolve(reply.result);
    const { code, message, reason } = reply.error;
    call.reject(
      code === 'SPOOL_FULL' && reason
        ? new SpoolFullError(reason, message)
        : new SpoolUnavailableError(message),
    );
  });
  let closing = false;
  let opened = false;
  thread.onExit((cause) => {
    const error = new SpoolUnavailableError("the spool's I/O thread stopped", cause);
    failAll(error);
    if (!closing && opened) onCrash?.(error);
  });

  const call = <T>(message: WithoutId<SpoolCall>): Promise<T> => {
    if (thread.stopped()) {
      return Promise.reject(new SpoolUnavailableError("the spool's I/O thread stopped"));
    }
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      port.postMessage({ ...message, id });
    });
  };

  try {
    await call({ op: 'open' });
    opened = true;
  } catch (error) {
    closing = true;
    await thread.release();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    append: (messages) => call({ op: 'append', messages: messages.map(detached) }),
    async peek(limit) {
      const records = await call<SpoolRecord[]>({ op: 'peek', limit });
      for (const record of records) record.value = asBuffer(record.value);
      return records;
    },
    removeThrough: (upToSeq, deadLetters) => call({ op: 'removeThrough', upToSeq, deadLetters }),
    addDeadLetters: (messages) => call({ op: 'addDeadLetters', messages: messages.map(detached) }),
    stats: () => stats,
    isEmpty: () => stats.depth === 0,
    close() {
      closing = true;
      closed ??= call({ op: 'close' })
        .catch(() => undefined)
        .then(() => thread.release());
      return closed;
    },
  };
}

/** The options the I/O thread's spool part takes: a clock cannot cross threads. */
export function spoolThreadOptions(options: SqliteSpoolOptions): Omit<SqliteSpoolOptions, 'now'> {
  const { path, maxEvents, maxBytes, maxAgeSeconds, maxFileBytes, minFreeBytes } = options;
  return {
    path,
    maxEvents,
    maxBytes,
    maxAgeSeconds,
    ...(maxFileBytes === undefined ? {} : { maxFileBytes }),
    ...(minFreeBytes === undefined ? {} : { minFreeBytes }),
  };
}
