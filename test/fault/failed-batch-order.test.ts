/**
 * A produce request that fails fast (well before the callbacks' publish deadline: an error the
 * client does not retry, such as OUT_OF_ORDER_SEQUENCE_NUMBER after a broker lost unreplicated
 * data, or a retriable one once the retries are spent) must not be overtaken by the records
 * queued behind it: they follow it into the spool, or the drainer retries its whole batch, so a
 * consumer deduping by ce_id reads each key in acceptance order. Found by an adversarial review;
 * in-process like in-flight-batch-order.test.ts: the real deliverer, publisher, batcher and
 * bisecting send, the SQLite spool and drainer, and a scripted kafkajs producer.
 */
import { join } from 'node:path';
import type { Kafka, ProducerBatch } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { createKafkajsPublisher } from '../../src/kafka/kafkajs-publisher';
import { createMetrics } from '../../src/metrics';
import { createDeliverer, createSpoolDrainer } from '../../src/pipeline/deliver';
import type { Drainer } from '../../src/spool';
import { createDrainer, createSqliteSpool, inThreadSpool } from '../../src/spool';
import { CONFIG_DIR } from '../helpers/bridge';
import { sleep, waitFor } from '../helpers/fault';
import { APP_ID, TOKEN } from '../helpers/tencent';
import { testTempDir } from '../helpers/temp-dir';

interface Send {
  ids: string[];
  resolve: () => void;
  reject: (error: Error) => void;
}

function scriptedKafka() {
  const sends: Send[] = [];
  const log: string[] = [];
  let auto = false;
  const makeProducer = () => ({
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
  });
  return {
    kafka: { producer: makeProducer } as unknown as Kafka,
    sends,
    log,
    ackEverythingFromNowOn: () => (auto = true),
  };
}

function record(n: number): KafkaRecord {
  return {
    topic: 'events',
    key: `${APP_ID}:same-room`,
    value: Buffer.from(JSON.stringify({ n })),
    headers: { ce_id: `event-${n}`, ce_type: 'test' },
    eventId: `event-${n}`,
    eventType: 'test',
  };
}

/** A kafkajs protocol error as kafkajs throws it for a non-retriable produce error. */
function protocolError(type: string): Error {
  return Object.assign(new Error(`protocol error ${type}`), {
    name: 'KafkaJSProtocolError',
    type,
    retriable: false,
  });
}

describe.each(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'NOT_ENOUGH_REPLICAS'])(
  'a produce request that fails fast (%s)',
  (kafkaError) => {
    it('lets no callback of the same key queued behind it reach Kafka ahead of it', async () => {
      const dir = testTempDir('failed-batch-order-');
      const config = loadConfig({
        configDir: CONFIG_DIR,
        env: { TENCENT_SDK_APP_ID: APP_ID, TENCENT_CALLBACK_TOKEN: TOKEN },
      });
      const metrics = createMetrics(new Registry(), { defaultMetrics: false });
      const script = scriptedKafka();
      const publisher = createKafkajsPublisher({
        settings: config.kafka,
        logger: pino({ level: 'silent' }),
        metrics,
        kafka: script.kafka,
      });
      const spool = inThreadSpool(
        createSqliteSpool({
          path: join(dir, 'spool.sqlite'),
          maxEvents: 1000,
          maxBytes: 1 << 30,
          maxAgeSeconds: 3600,
        }),
      );
      const drainer = createDrainer({
        spool,
        batchSize: 100,
        backoffMinMs: 10,
        backoffMaxMs: 50,
        publish: async (records) => {
          await Promise.all(
            records.map((r) => publisher.publish({ ...r, eventType: 'test' }, 5000)),
          );
        },
      });
      let draining = false;
      const gatedDrainer: Drainer = {
        kick: () => (draining ? drainer.kick() : undefined),
        isActive: () => drainer.isActive(),
        drainNow: (ms) => drainer.drainNow(ms),
        stop: () => drainer.stop(),
      };
      const deliverer = createDeliverer({
        publisher,
        publishTimeoutMs: config.kafka.publishTimeoutMs, // 1000, the default
        metrics,
        now: Date.now,
        spool: { store: spool, drainer: gatedDrainer },
        quarantineTopic: 'events.quarantine',
        logger: pino({ level: 'silent' }),
      });
      try {
        // 1 goes out alone; 2 and 3 queue behind it.
        const outcomes = [deliverer.deliver(record(1))];
        await waitFor(
          () => script.sends.length === 1,
          1000,
          () => 'no first produce request',
        );
        outcomes.push(deliverer.deliver(record(2)));
        outcomes.push(deliverer.deliver(record(3)));
        await sleep(20);
        // Kafka answers the request holding 1 with an error, well within the 1 s deadline; from
        // now on it accepts everything (the next request, under a new producer id, is fine).
        script.ackEverythingFromNowOn();
        script.sends[0]!.reject(protocolError(kafkaError));
        const settled = await Promise.all(outcomes);
        // Every callback was answered OK (all three say "spooled").
        expect(settled).toEqual(['spooled', 'spooled', 'spooled']);

        draining = true;
        drainer.kick();
        expect(await drainer.drainNow(5000)).toBe(true);

        // What a consumer that dedupes by ce_id sees, in Kafka order:
        const firstSeen = [...new Set(script.log)];

        expect(firstSeen).toEqual(['event-1', 'event-2', 'event-3']);
      } finally {
        await drainer.stop();
        await spool.close();
      }
    });
  },
);

describe('the drainer, with spool.drainBatchSize > kafka.batch.maxMessages', () => {
  it('lets no second half of a drain batch reach Kafka ahead of a failed first half', async () => {
    const dir = testTempDir('failed-drain-order-');
    const config = loadConfig({
      configDir: CONFIG_DIR,
      env: {
        TENCENT_SDK_APP_ID: APP_ID,
        TENCENT_CALLBACK_TOKEN: TOKEN,
        KAFKA_BATCH_MAX_MESSAGES: '2',
        SPOOL_DRAIN_BATCH_SIZE: '4',
      },
    });
    expect(config.kafka.batch.maxMessages).toBe(2);
    expect(config.spool.drainBatchSize).toBe(4);
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const script = scriptedKafka();
    const publisher = createKafkajsPublisher({
      settings: config.kafka,
      logger: pino({ level: 'silent' }),
      metrics,
      kafka: script.kafka,
    });
    const store = createSqliteSpool({
      path: join(dir, 'spool.sqlite'),
      maxEvents: 1000,
      maxBytes: 1 << 30,
      maxAgeSeconds: 3600,
    });
    store.append([1, 2, 3, 4].map((n) => ({ ...record(n), acceptedAt: Date.now() })));
    const spool = inThreadSpool(store);
    const drainer = createSpoolDrainer({
      config: {
        ...config,
        spool: { ...config.spool, drainBackoffMinMs: 10, drainBackoffMaxMs: 50 },
      },
      spool,
      publisher,
      metrics,
      logger: pino({ level: 'silent' }),
    });
    try {
      drainer.kick();
      await waitFor(
        () => script.sends.length === 1,
        1000,
        () => 'no first produce request',
      );
      expect(script.sends[0]!.ids).toEqual(['event-1', 'event-2']);
      script.ackEverythingFromNowOn();
      script.sends[0]!.reject(protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'));
      expect(await drainer.drainNow(5000)).toBe(true);

      expect([...new Set(script.log)]).toEqual(['event-1', 'event-2', 'event-3', 'event-4']);
    } finally {
      await drainer.stop();
      await spool.close();
    }
  });
});
