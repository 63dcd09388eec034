/**
 * Entry of the I/O thread (started by io-thread.ts): runs the Kafka sender and the SQLite spool
 * it was given, each answering on its own channel.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import type { IoWorkerData } from './io-thread';
import { startKafkaPart } from './kafka/publisher-worker';
import { startSpoolPart } from './spool/spool-worker';

if (!isMainThread) {
  const data = workerData as IoWorkerData;
  if (data.kafka) startKafkaPart(data.kafka.port, data.kafka.data);
  if (data.spool) startSpoolPart(data.spool.port, data.spool.options);
}
