/**
 * The Kafka ceiling: our publisher alone, in a process of its own. `createKafkajsPublisher` with
 * the settings `loadConfig` gives (idempotent producer, acks=all, one request in flight, the
 * micro-batcher with `kafka.batch.*`), exactly as test/integration/publisher.test.ts builds it,
 * producing the very records the bridge would produce for the benchmark's callbacks (the sample
 * body, parsed, validated and normalized through the command table, and wrapped as binary-mode
 * CloudEvents by src/), as fast as acks come back with `window` publishes outstanding.
 *
 * The records are built before the clock starts (a ring of distinct rooms), so only publishing is
 * measured.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { toKafkaRecord } from '../../src/events/cloudevents';
import { createKafkajsPublisher } from '../../src/kafka/kafkajs-publisher';
import { createMetrics } from '../../src/metrics';
import { commandFor } from '../../src/pipeline/command-table';
import { parseJsonBody } from '../../src/tencent/json';
import { childArgs, runChild, send } from '../lib/child';
import {
  BENCH_APP_ID,
  BENCH_TOKEN,
  CREATE_ROOM,
  REPO_ROOT,
  createPayload,
  percentile,
  round,
} from '../lib/payload';

export interface KafkaCeilingArgs {
  brokers: string;
  topic: string;
  /** Publishes kept outstanding. */
  window: number;
  durationSec: number;
  warmupSec: number;
  ringSize: number;
}

export interface KafkaCeilingResult {
  type: 'result';
  window: number;
  durationSec: number;
  acked: number;
  failed: number;
  ackedPerSec: number;
  /** publish() call → ack, per event. */
  ackLatencyMs: { p50: number; p99: number; p999: number; max: number };
  meanBatchSize: number;
  produceRequests: number;
  recordValueBytes: number;
  processCpuPercent: number;
}

function buildRecords(topic: string, count: number, dataSchemaBaseUrl: string): KafkaRecord[] {
  const payload = createPayload();
  const createRoom = commandFor(CREATE_ROOM)!;
  const records: KafkaRecord[] = [];
  const receivedAtMs = Date.now();
  for (let i = 0; i < count; i++) {
    const body = Buffer.from(payload.next(`kafka-ceiling-${i}`).body);
    const parsed = parseJsonBody(body);
    const validation = createRoom.validate(parsed);
    if (validation.error !== undefined) throw new Error(validation.error);
    const event = createRoom.toEvent(
      validation.value,
      {
        sdkAppId: BENCH_APP_ID,
        command: CREATE_ROOM,
        receivedAtMs,
        clientIp: '203.0.113.7',
        optPlatform: 'RESTAPI',
        rawBody: body,
      },
      { dataSchemaBaseUrl },
    );
    records.push(
      toKafkaRecord({
        mode: 'binary',
        topic,
        key: event.key,
        attributes: event.attributes,
        data: event.data,
      }),
    );
  }
  return records;
}

async function histogramTotals(
  registry: Registry,
  name: string,
): Promise<{ sum: number; count: number }> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return { sum: 0, count: 0 };
  const { values } = await metric.get();
  let sum = 0;
  let count = 0;
  for (const v of values as { metricName?: string; value: number }[]) {
    if (v.metricName === `${name}_sum`) sum += v.value;
    if (v.metricName === `${name}_count`) count += v.value;
  }
  return { sum, count };
}

async function main(): Promise<void> {
  const args = childArgs<KafkaCeilingArgs>();
  const config = loadConfig({
    configDir: join(REPO_ROOT, 'config'),
    env: {
      TENCENT_SDK_APP_ID: BENCH_APP_ID,
      TENCENT_CALLBACK_TOKEN: BENCH_TOKEN,
      KAFKA_BROKERS: args.brokers,
      KAFKA_TOPIC: args.topic,
    },
  });
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const publisher = createKafkajsPublisher({
    settings: config.kafka,
    logger: pino({ level: 'warn' }, pino.destination(2)),
    metrics,
  });
  const records = buildRecords(config.kafka.topic, args.ringSize, config.events.dataSchemaBaseUrl);
  await publisher.connect();

  let next = 0;
  const run = async (
    seconds: number,
  ): Promise<{ acked: number; failed: number; latencies: number[] }> => {
    const end = performance.now() + seconds * 1000;
    const latencies: number[] = [];
    let acked = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      while (performance.now() < end) {
        const record = records[next++ % records.length]!;
        const started = performance.now();
        try {
          await publisher.publish(record, config.kafka.publishTimeoutMs);
          acked++;
          latencies.push(performance.now() - started);
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: args.window }, () => worker()));
    return { acked, failed, latencies };
  };

  if (args.warmupSec > 0) await run(args.warmupSec);
  const batchesBefore = await histogramTotals(registry, 'live_bridge_kafka_batch_size');
  await send({ type: 'measuring' });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const { acked, failed, latencies } = await run(args.durationSec);
  const elapsedSec = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const batchesAfter = await histogramTotals(registry, 'live_bridge_kafka_batch_size');
  await publisher.close(5000);

  const sorted = Float64Array.from(latencies).sort();
  const produceRequests = batchesAfter.count - batchesBefore.count;
  const result: KafkaCeilingResult = {
    type: 'result',
    window: args.window,
    durationSec: round(elapsedSec),
    acked,
    failed,
    ackedPerSec: round(acked / elapsedSec, 1),
    ackLatencyMs: {
      p50: round(percentile(sorted, 50)),
      p99: round(percentile(sorted, 99)),
      p999: round(percentile(sorted, 99.9)),
      max: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
    },
    meanBatchSize: round((batchesAfter.sum - batchesBefore.sum) / Math.max(1, produceRequests), 1),
    produceRequests,
    recordValueBytes: records[0]!.value.length,
    processCpuPercent: round(((cpu.user + cpu.system) / 1000 / (elapsedSec * 1000)) * 100, 1),
  };
  await send(result);
}

if (require.main === module) runChild(main);
