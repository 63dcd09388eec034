/**
 * An in-memory twin of the SQLite spool (same `SyncSpool` contract, nothing on disk) for pipeline
 * unit tests that need no broker and no file. Bounds are not enforced: tests of the bounds use
 * the real spool (test/unit/spool).
 */
import type {
  DeadLetterMark,
  DeadLetterMessage,
  DeadLetterRecord,
  SpooledMessage,
  SpoolRecord,
  SyncSpool,
} from '../../src/spool';
import { SpoolUnavailableError } from '../../src/spool';

export interface MemorySpool extends SyncSpool {
  /** What is spooled now, oldest first. */
  readonly records: SpoolRecord[];
  /** The dead-letter table. */
  readonly dead: DeadLetterRecord[];
}

export function createMemorySpool(now: () => number = Date.now): MemorySpool {
  const records: SpoolRecord[] = [];
  const dead: DeadLetterRecord[] = [];
  let seq = 0;
  let closed = false;
  const open = (): void => {
    if (closed) throw new SpoolUnavailableError('memory spool is closed');
  };
  const size = (m: SpooledMessage): number =>
    m.value.length + Buffer.byteLength(m.key) + Buffer.byteLength(JSON.stringify(m.headers));
  const kill = (m: SpooledMessage, kafkaError: string): void => {
    dead.push({ ...m, kafkaError, id: dead.length + 1, deadLetteredAt: now() });
  };
  return {
    records,
    dead,
    append(messages) {
      open();
      const stored = messages.map((m) => ({ ...m, seq: ++seq }));
      records.push(...stored);
      return stored;
    },
    peek(limit) {
      open();
      return records.slice(0, limit);
    },
    removeThrough(upToSeq, deadLetters: readonly DeadLetterMark[] = []) {
      open();
      for (const mark of deadLetters) {
        const record = records.find((r) => r.seq === mark.seq && r.seq <= upToSeq);
        if (record) kill(record, mark.kafkaError);
      }
      while (records.length > 0 && records[0]!.seq <= upToSeq) records.shift();
    },
    addDeadLetters(messages: readonly DeadLetterMessage[]) {
      open();
      for (const m of messages) kill(m, m.kafkaError);
    },
    deadLetters(limit, afterId = 0) {
      return dead.filter((d) => d.id > afterId).slice(0, limit);
    },
    requeueDeadLetters(ids) {
      open();
      const moved = dead.filter((d) => ids.includes(d.id));
      for (const d of moved) {
        dead.splice(dead.indexOf(d), 1);
        const { topic, key, value, headers, eventId } = d;
        records.push({ topic, key, value, headers, eventId, acceptedAt: now(), seq: ++seq });
      }
      return moved;
    },
    stats() {
      return {
        depth: records.length,
        bytes: records.reduce((sum, r) => sum + size(r), 0),
        oldestAcceptedAt: records[0]?.acceptedAt,
        deadLetters: dead.length,
      };
    },
    isEmpty: () => records.length === 0,
    close() {
      closed = true;
    },
  };
}
