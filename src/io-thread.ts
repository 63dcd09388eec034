import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { WorkerData as KafkaWorkerData } from './kafka/worker-protocol';
import type { SqliteSpoolOptions } from './spool/sqlite-spool';

/**
 * Heap of the I/O thread. It holds the Kafka batch in flight (at most `batch.maxMessages`
 * records) with the client's buffers for it, and the spool's current call; SQLite's own memory
 * is outside the V8 heap. A thread that outgrows this dies, which stops the bridge (below).
 */
const IO_THREAD_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 };

/** What the I/O thread's entry (io-worker.ts) receives: one channel per part it runs. */
export interface IoWorkerData {
  kafka?: { port: MessagePort; data: KafkaWorkerData };
  spool?: { port: MessagePort; options: Omit<SqliteSpoolOptions, 'now'> };
}

/**
 * The bridge's one I/O worker thread (issue 16): the Kafka producer and the SQLite spool share
 * it, each over a `MessagePort` of its own, so neither the client's encoding and socket work nor
 * the spool's fsync'd commits run on the event loop that answers Tencent, and the process holds
 * two V8 isolates (a Node worker costs ~18 MiB of RSS before it does anything) instead of three.
 *
 * The thread is not restarted: if it stops without being released (a crash, its heap limit),
 * every call waiting on it fails, `onExit` listeners hear it once, and the server exits so that
 * a fresh process reopens the spool file (src/main.ts).
 */
export interface IoThread {
  /** The Kafka side's end of its channel (present when started with `kafka`). */
  readonly kafka: MessagePort | undefined;
  /** The spool side's end of its channel (present when started with `spool`). */
  readonly spool: MessagePort | undefined;
  /** Tests: the thread itself. */
  readonly worker: Worker;
  /** Hears the thread stop on its own (not after the last `release`), once, with the cause. */
  onExit(listener: (error: Error) => void): void;
  /** Whether the thread has stopped. */
  stopped(): boolean;
  /**
   * Each part calls this once it has closed; the thread is terminated when every part it was
   * started with has. The last call resolves once the thread has stopped, the others at once.
   */
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

/** Starts the I/O thread with the parts given (at least one). */
export function startIoThread(parts: {
  kafka?: KafkaWorkerData;
  spool?: Omit<SqliteSpoolOptions, 'now'>;
}): IoThread {
  const data: IoWorkerData = {};
  const transfer: MessagePort[] = [];
  let kafka: MessagePort | undefined;
  let spool: MessagePort | undefined;
  if (parts.kafka) {
    const channel = new MessageChannel();
    kafka = channel.port1;
    data.kafka = { port: channel.port2, data: parts.kafka };
    transfer.push(channel.port2);
  }
  if (parts.spool) {
    const channel = new MessageChannel();
    spool = channel.port1;
    data.spool = { port: channel.port2, options: parts.spool };
    transfer.push(channel.port2);
  }
  if (transfer.length === 0) throw new Error('startIoThread: nothing to run');
  const worker = startWorker(data, transfer);
  let users = transfer.length;
  let released = false;
  let exited = false;
  let failure: Error | undefined;
  const listeners: ((error: Error) => void)[] = [];
  const done = new Promise<void>((resolve) =>
    worker.on('exit', (code) => {
      exited = true;
      kafka?.close();
      spool?.close();
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
    kafka,
    spool,
    worker,
    onExit: (listener) => void listeners.push(listener),
    stopped: () => exited,
    async release() {
      users--;
      if (users > 0 || exited) return;
      released = true;
      await worker.terminate();
      await done;
    },
  };
}
