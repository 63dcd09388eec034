import type { BridgeConfig } from '../config/types';
import type { OutboundRecord, Refusal } from './kafkajs-publisher';

/** Messages between worker-publisher.ts (main thread) and publisher-worker.ts (worker). */

export interface WorkerData {
  settings: BridgeConfig['kafka'];
}

/**
 * A batch of records as it crosses the thread boundary. Structured cloning of records one by one
 * was the main thread's largest single cost (each value Buffer drags its whole 8 KiB pool slab
 * along, each headers object is walked), and cloning every string of a batch on its own (18 per
 * record) still cost ~9 µs per request at saturation. So a batch is three things: the values back
 * to back in one transferred buffer, every string back to back in one string, and one transferred
 * array of numbers that says where each piece ends.
 */
export interface PackedBatch {
  /** The values, back to back; transferred to the worker. */
  values: ArrayBuffer;
  /**
   * Uint32s, transferred: the record count, then per record its value's length, its header
   * count, and the lengths (UTF-16 code units) of its topic, key and each header's name and value.
   */
  layout: ArrayBuffer;
  /** Per record: topic, key, then each header's name and value, back to back. */
  text: string;
}

export function packRecords(records: readonly OutboundRecord[]): PackedBatch {
  let total = 0;
  for (const record of records) total += record.value.length;
  const values = new Uint8Array(total);
  const layout: number[] = [records.length];
  const strings: string[] = [];
  let offset = 0;
  for (const record of records) {
    values.set(record.value, offset);
    offset += record.value.length;
    const countAt = layout.length + 1;
    layout.push(record.value.length, 0, record.topic.length, record.key.length);
    strings.push(record.topic, record.key);
    let count = 0;
    for (const name in record.headers) {
      const value = record.headers[name]!;
      layout.push(name.length, value.length);
      strings.push(name, value);
      count++;
    }
    layout[countAt] = count;
  }
  return { values: values.buffer, layout: new Uint32Array(layout).buffer, text: strings.join('') };
}

export function unpackRecords(batch: PackedBatch): OutboundRecord[] {
  const layout = new Uint32Array(batch.layout);
  const { text } = batch;
  const records = new Array<OutboundRecord>(layout[0]!);
  let at = 1; // position in layout
  let offset = 0; // in values
  let position = 0; // in text
  const next = (): string => {
    const end = position + layout[at++]!;
    const piece = text.slice(position, end);
    position = end;
    return piece;
  };
  for (let i = 0; i < records.length; i++) {
    const length = layout[at++]!;
    const headerCount = layout[at++]!;
    const topic = next();
    const key = next();
    const headers: Record<string, string> = {};
    for (let h = 0; h < headerCount; h++) {
      const name = next();
      headers[name] = next();
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
      /** For a send: the records Kafka refused for good. */
      refusals?: Refusal[];
      error?: {
        code: 'PUBLISH_FAILED' | 'PUBLISH_TIMEOUT';
        message: string;
        kafkaError: string | undefined;
        cause: unknown;
      };
    }
  | { op: 'connected'; value: boolean }
  | { op: 'connection-lost' }
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
