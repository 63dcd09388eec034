/**
 * A produce request that fails fast (well before the callbacks' publish deadline: an error the
 * client does not retry, such as OUT_OF_ORDER_SEQUENCE_NUMBER after a broker lost unreplicated
 * data, or a retriable one once the retries are spent) must not be overtaken by the records
 * queued behind it: they follow it into the spool, or the drainer retries its whole batch, so a
 * consumer deduping by ce_id reads each key in acceptance order. Found by an adversarial review;
 * in-process like in-flight-batch-order.test.ts: the real deliverer, publisher, batcher and
 * bisecting send, the SQLite spool and drainer, and a scripted kafkajs producer.
 */
import pino from 'pino';
import { createSpoolDrainer } from '../../src/pipeline/deliver';
import { inThreadSpool } from '../../src/spool';
import { sleep, waitFor } from '../helpers/fault';
import {
  sameKeyRecord as record,
  scriptedPipeline,
  scriptedPublisher,
  scriptedSpoolFile,
} from '../helpers/scripted-kafka';

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
      // the default deadline, 1 s: the failure comes well within it
      const pipeline = scriptedPipeline({
        publishTimeoutMs: 1000,
        tempPrefix: 'failed-batch-order-',
      });
      const { script, deliverer } = pipeline;
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

        expect(await pipeline.replay()).toBe(true);

        // What a consumer that dedupes by ce_id sees, in Kafka order:
        const firstSeen = [...new Set(script.log)];

        expect(firstSeen).toEqual(['event-1', 'event-2', 'event-3']);
      } finally {
        await pipeline.close();
      }
    });
  },
);

describe('the drainer, with spool.drainBatchSize > kafka.batch.maxMessages', () => {
  it('lets no second half of a drain batch reach Kafka ahead of a failed first half', async () => {
    const { config, metrics, script, publisher } = scriptedPublisher({
      KAFKA_BATCH_MAX_MESSAGES: '2',
      SPOOL_DRAIN_BATCH_SIZE: '4',
    });
    expect(config.kafka.batch.maxMessages).toBe(2);
    expect(config.spool.drainBatchSize).toBe(4);
    const store = scriptedSpoolFile('failed-drain-order-');
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
