import type { BridgeConfig } from '../config/types';
import type { OutboundRecord } from './kafkajs-publisher';

/** Messages between worker-publisher.ts (main thread) and publisher-worker.ts (worker). */

export interface WorkerData {
  settings: BridgeConfig['kafka'];
}

/**
 * A batch of records as it crosses the thread boundary. Structured cloning of records one by one
 * was the main thread's largest single cost (each value Buffer drags its whole 8 KiB pool slab
 * along, each headers object is walked): instead every value is copied once into one
 * ArrayBuffer that is transferred, not cloned, and the strings travel in one flat array.
 */
export interface PackedBatch {
  /** The values, back to back; transferred to the worker. */
  values: ArrayBuffer;
  lengths: number[];
  headerCounts: number[];
  /** Per record: topic, key, then each header's name and value. */
  fields: string[];
}

export function packRecords(records: readonly OutboundRecord[]): PackedBatch {
  let total = 0;
  for (const record of records) total += record.value.length;
  const values = new Uint8Array(total);
  const lengths = new Array<number>(records.length);
  const headerCounts = new Array<number>(records.length);
  const fields: string[] = [];
  let offset = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    values.set(record.value, offset);
    offset += record.value.length;
    lengths[i] = record.value.length;
    fields.push(record.topic, record.key);
    let count = 0;
    for (const name in record.headers) {
      fields.push(name, record.headers[name]!);
      count++;
    }
    headerCounts[i] = count;
  }
  return { values: values.buffer, lengths, headerCounts, fields };
}

export function unpackRecords(batch: PackedBatch): OutboundRecord[] {
  const records = new Array<OutboundRecord>(batch.lengths.length);
  const { fields } = batch;
  let offset = 0;
  let field = 0;
  for (let i = 0; i < records.length; i++) {
    const length = batch.lengths[i]!;
    const topic = fields[field++]!;
    const key = fields[field++]!;
    const headers: Record<string, string> = {};
    for (let h = 0; h < batch.headerCounts[i]!; h++) {
      const name = fields[field++]!;
      headers[name] = fields[field++]!;
    }
    records[i] = { topic, key, headers, value: Buffer.from(batch.values, offset, length) };
    offset += length;
  }
  return records;
}

export type ToWorker =
  | { op: 'send'; id: number; batch: PackedBatch }
  | { op: 'connect'; id: number }
  | { op: 'close'; id: number };

export type FromWorker =
  | {
      op: 'done';
      id: number;
      error?: { code: 'PUBLISH_FAILED' | 'PUBLISH_TIMEOUT'; message: string; cause: unknown };
    }
  | { op: 'connected'; value: boolean }
  | { op: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; fields: object; msg: string };

/**
 * A copy of a log value that survives structured cloning and still says something once logged:
 * errors become `{ type, message, stack, … }` (pino's err serializer shape), functions are
 * dropped, depth is bounded.
 */
export function plainLogValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  }
  if (depth > 4) return '[deep]';
  if (value instanceof Error) {
    const plain: Record<string, unknown> = {
      type: value.name,
      message: value.message,
      stack: value.stack,
    };
    for (const [key, inner] of Object.entries(value)) plain[key] = plainLogValue(inner, depth + 1);
    if (value.cause !== undefined) plain.cause = plainLogValue(value.cause, depth + 1);
    return plain;
  }
  if (Array.isArray(value)) return value.map((item) => plainLogValue(item, depth + 1));
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const plain: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) plain[key] = plainLogValue(inner, depth + 1);
  return plain;
}
