/**
 * After a single broker is SIGKILLed and restarted, the broker may have lost batches it had not
 * flushed while the idempotent producer already counted them: every later batch is refused with
 * OUT_OF_ORDER_SEQUENCE_NUMBER and kafkajs never resets its producer id, so the spool could never
 * drain (seen in the fault test "broker SIGKILLed…"). The publisher must replace the producer.
 *
 * A scripted kafkajs client stands in for the broker so the refusal happens exactly once.
 */
import type { Kafka, ProducerBatch } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load';
import { PublishError } from '../../src/errors';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { createKafkajsPublisher } from '../../src/kafka/kafkajs-publisher';
import { createMetrics } from '../../src/metrics';

const CONFIG_DIR = `${__dirname}/../../config`;

function protocolError(type: string): Error {
  return Object.assign(new Error(`broker says ${type}`), { type, retriable: false });
}

function scriptedKafka(failFirstProducerWith: string) {
  let created = 0;
  const stored: string[] = [];
  const kafka = {
    producer: () => {
      const id = ++created;
      return {
        events: { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' },
        on: () => () => undefined,
        connect: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
        sendBatch: (batch: ProducerBatch) => {
          if (id === 1) return Promise.reject(protocolError(failFirstProducerWith));
          for (const topic of batch.topicMessages ?? []) {
            for (const message of topic.messages) stored.push(String(message.headers?.ce_id));
          }
          return Promise.resolve([]);
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, stored, producersCreated: () => created };
}

function record(id: string): KafkaRecord {
  return {
    topic: 't',
    key: 'k',
    value: Buffer.from('{}'),
    headers: { ce_id: id },
    eventId: id,
    eventType: 'test.v1',
  };
}

function publisherWith(kafka: Kafka) {
  const settings = loadConfig({
    configDir: CONFIG_DIR,
    env: { TENCENT_SDK_APP_ID: '1', TENCENT_CALLBACK_TOKEN: 't' },
  }).kafka;
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  return createKafkajsPublisher({ settings, logger: pino({ level: 'silent' }), metrics, kafka });
}

describe('kafkajs publisher: producer-state errors', () => {
  it.each(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH'])(
    'replaces the producer after %s, so the retried batch goes through',
    async (type) => {
      const script = scriptedKafka(type);
      const publisher = publisherWith(script.kafka);
      const first = await publisher.publish(record('a'), 1000).catch((error: unknown) => error);
      expect(first).toBeInstanceOf(PublishError);
      await publisher.publish(record('a'), 1000);
      expect(script.producersCreated()).toBe(2);
      expect(script.stored).toEqual(['a']);
    },
  );

  it('keeps the producer on other failures', async () => {
    const script = scriptedKafka('REQUEST_TIMED_OUT');
    const publisher = publisherWith(script.kafka);
    await publisher.publish(record('a'), 1000).catch(() => undefined);
    await publisher.publish(record('b'), 1000).catch(() => undefined);
    expect(script.producersCreated()).toBe(1);
  });
});
