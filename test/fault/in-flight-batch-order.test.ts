/**
 * Kafka dies while a produce request holding SEVERAL callbacks of one key is in flight, and more
 * callbacks of that key are queued behind it. The deliverer promises (src/pipeline/deliver.ts)
 * that "everything still queued for Kafka is turned away too and follows it into the spool, in
 * acceptance order".
 *
 * This needs exact control over when Kafka answers, so it runs in process: the real deliverer,
 * the real kafkajs publisher and batcher (with a scripted kafkajs client in place of a broker),
 * the real SQLite spool and the real drainer. No broker, no load generator. Concurrent callbacks
 * of one room are rare for Live.CallbackAfterCreateRoom but allowed by the protocol (Tencent does
 * not wait for our answer to one callback before sending the next).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, ProducerBatch } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { createKafkajsPublisher } from '../../src/kafka/kafkajs-publisher';
import { createMetrics } from '../../src/metrics';
import { createDeliverer } from '../../src/pipeline/deliver';
import type { Drainer } from '../../src/spool';
import { createDrainer, createSqliteSpool, inThreadSpool } from '../../src/spool';
import { CONFIG_DIR } from '../helpers/bridge';
import { sleep, waitFor } from '../helpers/fault';
import { APP_ID, TOKEN } from '../helpers/tencent';

/** A produce request the test answers by hand (manual) or that Kafka acks at once (auto). */
interface Send {
  ids: string[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A kafkajs client whose producer's sendBatch is scripted; `log` is what "Kafka" stored. */
function scriptedKafka() {
  const sends: Send[] = [];
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

describe('a Kafka failure with several callbacks of one key in flight', () => {
  it('spools and then publishes the callbacks of one key in acceptance order (regression: a failed multi-record batch once let queued callbacks overtake the rest of it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fault-order-'));
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
        await Promise.all(records.map((r) => publisher.publish({ ...r, eventType: 'test' }, 5000)));
      },
    });
    // The drainer stays idle until "Kafka" is back, so the spool shows the order it will replay.
    let draining = false;
    const gatedDrainer: Drainer = {
      kick: () => (draining ? drainer.kick() : undefined),
      isActive: () => drainer.isActive(),
      drainNow: (ms) => drainer.drainNow(ms),
      stop: () => drainer.stop(),
    };
    const publishTimeoutMs = 300;
    const deliverer = createDeliverer({
      publisher,
      publishTimeoutMs,
      metrics,
      now: Date.now,
      spool: { store: spool, drainer: gatedDrainer },
      quarantineTopic: 'events.quarantine',
      logger: pino({ level: 'silent' }),
    });
    try {
      // 1 goes out alone; Kafka is slow to ack it, so 2 and 3 (accepted 50 ms apart) queue up.
      const outcomes = [deliverer.deliver(record(1))];
      await waitFor(
        () => script.sends.length === 1,
        1000,
        () => 'no first produce request',
      );
      outcomes.push(deliverer.deliver(record(2)));
      await sleep(50);
      outcomes.push(deliverer.deliver(record(3)));
      await sleep(20);
      // 1 is acked; 2 and 3 leave together in the next request, which Kafka never answers.
      script.sends[0]!.resolve();
      await waitFor(
        () => script.sends.length === 2,
        1000,
        () => 'no second produce request',
      );
      expect(script.sends[1]!.ids).toEqual(['event-2', 'event-3']);
      // 4 is accepted while that request hangs.
      outcomes.push(deliverer.deliver(record(4)));
      // 2 and 3 miss their deadlines (50 ms apart) and go to the spool; so does 4.
      const settled = await Promise.all(outcomes);
      expect(settled).toEqual(['published', 'spooled', 'spooled', 'spooled']);
      // The broker died with that request: it fails, nothing of it reached Kafka.
      script.sends[1]!.reject(new Error('Connection error: connect ECONNREFUSED'));

      // Kafka is back: the drainer replays the spool.
      script.ackEverythingFromNowOn();
      draining = true;
      drainer.kick();
      expect(await drainer.drainNow(5000)).toBe(true);

      // Acceptance order of the key is 1, 2, 3, 4; that is what a consumer must see.
      expect(script.log).toEqual(['event-1', 'event-2', 'event-3', 'event-4']);
    } finally {
      await drainer.stop();
      await spool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
