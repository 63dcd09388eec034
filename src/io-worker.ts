/**
 * Entry of the I/O thread (started by io-thread.ts): runs the SQLite spool it was given,
 * answering on its channel.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import type { IoWorkerData } from './io-thread';
import { startSpoolPart } from './spool/spool-worker';

if (!isMainThread) {
  const data = workerData as IoWorkerData;
  startSpoolPart(data.spool.port, data.spool.options);
}
