import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { SqliteSpoolOptions } from './spool/sqlite-spool';

/**
 * Heap of the I/O thread. It holds the spool's current call (at most a drain batch of records);
 * SQLite's own memory is outside the V8 heap. A thread that outgrows this dies, which stops the
 * bridge (below).
 */
const IO_THREAD_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 };

/** What the I/O thread's entry (io-worker.ts) receives: the spool's channel and options. */
export interface IoWorkerData {
  spool: { port: MessagePort; options: Omit<SqliteSpoolOptions, 'now'> };
}

/**
 * The bridge's I/O worker thread (issue 15, issue 16): the SQLite spool runs there, over a
 * `MessagePort`, so its fsync'd commits never block the event loop that answers Tencent. The
 * Kafka client ran on this thread too until measurements on a quiet machine showed it cost the
 * event loop more than it saved (docs/decisions.md, "Kafka back on the main thread").
 *
 * The thread is not restarted: if it stops without being released (a crash, its heap limit),
 * every call waiting on it fails, `onExit` listeners hear it once, and the server exits so that
 * a fresh process reopens the spool file (src/main.ts).
 */
export interface IoThread {
  /** The spool side's end of its channel. */
  readonly spool: MessagePort;
  /** Tests: the thread itself. */
  readonly worker: Worker;
  /** Hears the thread stop on its own (not after `release`), once, with the cause. */
  onExit(listener: (error: Error) => void): void;
  /** Whether the thread has stopped. */
  stopped(): boolean;
  /** Called once the spool has closed: terminates the thread; resolves once it has stopped. */
  release(): Promise<void>;
}

function startWorker(data: IoWorkerData, transferList: MessagePort[]): Worker {
  const options = {
    workerData: data,
    transferList,
    resourceLimits: IO_THREAD_LIMITS,
    name: 'io',
  };
  const compiled = join(__dirname, 'io-worker.js');
  if (existsSync(compiled)) return new Worker(compiled, options);
  // Running from the TypeScript sources (tests, `npm run dev`): load the entry through tsx.
  const tsx = require.resolve('tsx/cjs/api');
  const source = join(__dirname, 'io-worker.ts');
  return new Worker(
    `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`,
    { ...options, eval: true },
  );
}

/** Starts the I/O thread with the spool it is to run. */
export function startIoThread(parts: { spool: Omit<SqliteSpoolOptions, 'now'> }): IoThread {
  const channel = new MessageChannel();
  const spool = channel.port1;
  const worker = startWorker({ spool: { port: channel.port2, options: parts.spool } }, [
    channel.port2,
  ]);
  let released = false;
  let exited = false;
  let failure: Error | undefined;
  const listeners: ((error: Error) => void)[] = [];
  const done = new Promise<void>((resolve) =>
    worker.on('exit', (code) => {
      exited = true;
      spool.close();
      resolve();
      if (released) return;
      const error = failure ?? new Error(`the I/O thread stopped (exit code ${code})`);
      for (const listener of listeners.splice(0)) listener(error);
    }),
  );
  worker.on('error', (error) => {
    failure = new Error('the I/O thread failed', { cause: error });
  });
  return {
    spool,
    worker,
    onExit: (listener) => void listeners.push(listener),
    stopped: () => exited,
    async release() {
      if (exited) return;
      released = true;
      await worker.terminate();
      await done;
    },
  };
}
