/**
 * The spool part of the I/O thread (io-worker.ts): owns the SQLite spool, so its fsync'd
 * commits, reads and deletes never block the event loop that answers Tencent (issue #15).
 * Calls are answered in the order they arrive, each with the spool's counters after it.
 */
import type { MessagePort } from 'node:worker_threads';
import { SpoolFullError } from './spool';
import type { SyncSpool } from './spool';
import type { SqliteSpoolOptions } from './sqlite-spool';
import { createSqliteSpool } from './sqlite-spool';
import type { SpoolCall, SpoolReply } from './worker-spool';

/** Answers the calls that arrive on `port` (one `SpoolCall` each). */
export function startSpoolPart(port: MessagePort, options: SqliteSpoolOptions): void {
  let spool: SyncSpool | undefined;
  const run = (call: SpoolCall): unknown => {
    if (call.op === 'open') {
      spool ??= createSqliteSpool(options);
      return undefined;
    }
    if (!spool) throw new Error('spool not open');
    switch (call.op) {
      case 'append':
        spool.append(call.messages);
        return undefined;
      case 'peek':
        return spool.peek(call.limit);
      case 'removeThrough':
        spool.removeThrough(call.upToSeq, call.deadLetters);
        return undefined;
      case 'addDeadLetters':
        spool.addDeadLetters(call.messages);
        return undefined;
      case 'close':
        spool.close();
        return undefined;
    }
  };
  port.on('message', (call: SpoolCall) => {
    let reply: SpoolReply;
    try {
      reply = { id: call.id, result: run(call), stats: spool?.stats() };
    } catch (error) {
      const e = error as { name?: unknown; message?: unknown; code?: unknown };
      reply = {
        id: call.id,
        error: {
          code: typeof e.code === 'string' ? e.code : 'SPOOL_UNAVAILABLE',
          message: typeof e.message === 'string' ? e.message : String(error),
          ...(error instanceof SpoolFullError ? { reason: error.reason } : {}),
        },
        stats: spool?.stats(),
      };
    }
    port.postMessage(reply);
  });
}
