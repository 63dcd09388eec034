import type { Consumer, IHeaders } from 'kafkajs';
import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/types';
import { kafkaClientConfig } from './kafkajs-publisher';

type KafkaSettings = BridgeConfig['kafka'];

/** A record read by {@link readTopicRange}. */
export interface ReadRecord {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Which part of a topic to read: a time range, or offsets (one partition or all). */
export interface TopicRange {
  /** Epoch ms: from the first record at or after this time. */
  fromTime?: number;
  /** Epoch ms: up to the last record before this time. */
  toTime?: number;
  /** Only this partition. */
  partition?: number;
  /** First offset to read (inclusive). */
  fromOffset?: bigint;
  /** Offset to stop before (exclusive). */
  toOffset?: bigint;
}

/** A range that cannot be read: a partition the topic does not have. */
export class TopicRangeError extends Error {
  override readonly name = 'TopicRangeError';
  readonly code = 'TOPIC_RANGE_INVALID';
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * Reads a bounded part of a topic once, in offset order per partition, and hands each record to
 * `onRecord` (awaited, one at a time). The end is fixed when the read starts (the high watermark,
 * or `toTime`/`toOffset`), so it always finishes. It reads with a consumer group of its own that
 * commits nothing: the group of any real consumer is not touched.
 * @throws TopicRangeError for a partition the topic does not have; Error after `timeoutMs`.
 */
export async function readTopicRange(options: {
  settings: KafkaSettings;
  logger: Logger;
  topic: string;
  range: TopicRange;
  timeoutMs: number;
  onRecord: (record: ReadRecord) => Promise<void>;
  /** Told the number of records to read once it is known. */
  onPlanned?: (total: bigint) => void;
}): Promise<void> {
  const { topic, range } = options;
  const kafka = new Kafka(kafkaClientConfig(options.settings, options.logger));
  const admin = kafka.admin();
  await admin.connect();
  const plan = new Map<number, { next: bigint; end: bigint }>();
  try {
    const watermarks = await admin.fetchTopicOffsets(topic);
    if (range.partition !== undefined && !watermarks.some((p) => p.partition === range.partition)) {
      throw new TopicRangeError(`${topic} has no partition ${range.partition}`);
    }
    const byTime = async (time: number | undefined) =>
      time === undefined
        ? undefined
        : new Map(
            (await admin.fetchTopicOffsetsByTimestamp(topic, time)).map((p) => [
              p.partition,
              BigInt(p.offset),
            ]),
          );
    const fromTimes = await byTime(range.fromTime);
    const toTimes = await byTime(range.toTime);
    for (const { partition, low, high } of watermarks) {
      if (range.partition !== undefined && partition !== range.partition) continue;
      let start = max(BigInt(low), range.fromOffset ?? 0n);
      let end = min(BigInt(high), range.toOffset ?? BigInt(high));
      const fromTime = fromTimes?.get(partition);
      const toTime = toTimes?.get(partition);
      // Kafka answers -1 when no record is that late: nothing from there / everything up to there
      if (fromTime !== undefined) start = max(start, fromTime < 0n ? BigInt(high) : fromTime);
      if (toTime !== undefined && toTime >= 0n) end = min(end, toTime);
      if (start < end) plan.set(partition, { next: start, end });
    }
  } finally {
    await admin.disconnect();
  }
  options.onPlanned?.([...plan.values()].reduce((sum, p) => sum + (p.end - p.next), 0n));
  if (plan.size === 0) return;

  const consumer: Consumer = kafka.consumer({
    groupId: `tencent-live-kafka-bridge-cli-${process.pid}-${Date.now()}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
  });
  let finish: (error?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  consumer.on(consumer.events.CRASH, (event) => finish(event.payload.error));
  const timer = setTimeout(
    () => finish(new Error(`reading ${topic} took longer than ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const part = plan.get(partition);
        const offset = BigInt(message.offset);
        if (part === undefined || offset < part.next || offset >= part.end) return;
        await options.onRecord({
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key === null ? null : message.key.toString('utf8'),
          value: message.value ?? Buffer.alloc(0),
          headers: headersOf(message.headers),
        });
        part.next = offset + 1n;
        if (part.next >= part.end) {
          plan.delete(partition);
          consumer.pause([{ topic, partitions: [partition] }]);
          if (plan.size === 0) finish();
        }
      },
    });
    for (const [partition, { next }] of plan) {
      consumer.seek({ topic, partition, offset: next.toString() });
    }
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
