/**
 * The pipeline in process over a kafkajs client whose producer is scripted by the test: for
 * fault tests that need exact control over when (and how) Kafka answers each produce request.
 * The real deliverer, kafkajs publisher, batcher and Produce encoder, SQLite spool and drainer;
 * no broker.
 */
import { join } from 'node:path';
import type { Kafka, ProducerBatch } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load';
import type { BridgeConfig } from '../../src/config/types';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { createKafkajsPublisher } from '../../src/kafka/kafkajs-publisher';
import type { EventPublisher } from '../../src/kafka/publisher';
import type { Metrics } from '../../src/metrics';
import { createMetrics } from '../../src/metrics';
import type { Deliverer } from '../../src/pipeline/deliver';
import { createDeliverer } from '../../src/pipeline/deliver';
import type { SyncSpool } from '../../src/spool';
import { createDrainer, createSqliteSpool, inThreadSpool } from '../../src/spool';
import { CONFIG_DIR } from './bridge';
import { APP_ID, TOKEN } from './tencent';
import { testTempDir } from './temp-dir';

/** A produce request the test answers by hand, unless Kafka acks everything by now. */
export interface ScriptedSend {
  /** The ce_id of each record in it, in order. */
  ids: string[];
  /** Acks it: its records join `log`. */
  resolve: () => void;
  /** Fails it as the client would. */
  reject: (error: Error) => void;
}

/** A kafkajs client whose producer's sendBatch is scripted; `log` is what "Kafka" stored. */
export function scriptedKafka() {
  const sends: ScriptedSend[] = [];
  const log: string[] = [];
  let auto = false;
  const producer = {
    events: { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' },
    on: () => () => undefined,
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    sendBatch: (batch: ProducerBatch) => {
      const ids = (batch.topicMessages ?? []).flatMap((t) =>
        t.messages.map((m) => String(m.headers?.ce_id)),
      );
      if (auto) {
        log.push(...ids);
        return Promise.resolve([]);
      }
      return new Promise((resolve, reject) => {
        sends.push({
          ids,
          resolve: () => {
            log.push(...ids);
            resolve([]);
          },
          reject,
        });
      });
    },
  };
  return {
    kafka: { producer: () => producer } as unknown as Kafka,
    sends,
    log,
    ackEverythingFromNowOn: () => (auto = true),
  };
}

/** Callback `n` of one room: every record has the same key, ce_id `event-<n>`. */
export function sameKeyRecord(n: number): KafkaRecord {
  return {
    topic: 'events',
    key: `${APP_ID}:same-room`,
    value: Buffer.from(JSON.stringify({ n })),
    headers: { ce_id: `event-${n}`, ce_type: 'test' },
    eventId: `event-${n}`,
    eventType: 'test',
  };
}

/** The test app's configuration (plus `env`) and a kafkajs publisher over a scripted client. */
export function scriptedPublisher(env: Record<string, string> = {}): {
  config: Readonly<BridgeConfig>;
  metrics: Metrics;
  script: ReturnType<typeof scriptedKafka>;
  publisher: EventPublisher;
} {
  const config = loadConfig({
    configDir: CONFIG_DIR,
    env: { TENCENT_SDK_APP_ID: APP_ID, TENCENT_CALLBACK_TOKEN: TOKEN, ...env },
  });
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const script = scriptedKafka();
  const publisher = createKafkajsPublisher({
    settings: config.kafka,
    logger: pino({ level: 'silent' }),
    metrics,
    kafka: script.kafka,
  });
  return { config, metrics, script, publisher };
}

/** A SQLite spool in a fresh temporary folder, with bounds no test reaches. */
export function scriptedSpoolFile(prefix: string): SyncSpool {
  return createSqliteSpool({
    path: join(testTempDir(prefix), 'spool.sqlite'),
    maxEvents: 1000,
    maxBytes: 1 << 30,
    maxAgeSeconds: 3600,
  });
}

/**
 * The deliverer over a scripted publisher and a SQLite spool. Its drainer stays idle until
 * `replay` (Kafka is back), so the spool keeps the order it will replay in.
 */
export function scriptedPipeline(options: { publishTimeoutMs: number; tempPrefix: string }): {
  script: ReturnType<typeof scriptedKafka>;
  deliverer: Deliverer;
  /** Starts the drainer; resolves with whether the spool emptied within 5 s. */
  replay(): Promise<boolean>;
  close(): Promise<void>;
} {
  const { metrics, script, publisher } = scriptedPublisher();
  const spool = inThreadSpool(scriptedSpoolFile(options.tempPrefix));
  const drainer = createDrainer({
    spool,
    batchSize: 100,
    backoffMinMs: 10,
    backoffMaxMs: 50,
    publish: async (records) => {
      await Promise.all(records.map((r) => publisher.publish({ ...r, eventType: 'test' }, 5000)));
    },
  });
  let draining = false;
  const deliverer = createDeliverer({
    publisher,
    publishTimeoutMs: options.publishTimeoutMs,
    metrics,
    now: Date.now,
    spool: {
      store: spool,
      drainer: {
        kick: () => (draining ? drainer.kick() : undefined),
        isActive: () => drainer.isActive(),
        drainNow: (ms) => drainer.drainNow(ms),
        stop: () => drainer.stop(),
      },
    },
    quarantineTopic: 'events.quarantine',
    logger: pino({ level: 'silent' }),
  });
  return {
    script,
    deliverer,
    replay() {
      draining = true;
      drainer.kick();
      return drainer.drainNow(5000);
    },
    async close() {
      await drainer.stop();
      await spool.close();
    },
  };
}
