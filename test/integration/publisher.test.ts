import { Connection, describeProducersV0 } from '@platformatic/kafka';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load';
import { PublishError, RecordRefusedError } from '../../src/errors';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { useOwnProduceEncoder } from '../../src/kafka/kafkajs-encoder';
import { createKafkaPublisher } from '../../src/kafka/kafka-publisher';
import { createMetrics } from '../../src/metrics';
import { CONFIG_DIR, brokers, metricValue, uniqueTopic } from '../helpers/bridge';
import { partitionForKey } from '../../src/kafka/partitioner';
import { ensureTopics } from '../../src/kafka/topics';
import { readTopic } from '../helpers/fault';
import { consumeAll, createKafkaClient, createTopic } from '../helpers/kafka-broker';

type Client = 'kafkajs' | 'platformatic';
const CLIENTS: Client[] = ['kafkajs', 'platformatic'];

function publisherFor(
  env: Record<string, string>,
  extra: { logger?: pino.Logger; client?: Client } = {},
) {
  const config = loadConfig({
    configDir: CONFIG_DIR,
    env: {
      TENCENT_SDK_APP_ID: '1',
      TENCENT_CALLBACK_TOKEN: 't',
      KAFKA_BROKERS: brokers(),
      KAFKA_CLIENT: extra.client ?? 'kafkajs',
      ...env,
    },
  });
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const options = {
    settings: config.kafka,
    logger: extra.logger ?? pino({ level: 'silent' }),
    metrics,
  };
  return { publisher: createKafkaPublisher(options), registry };
}

function record(topic: string, key: string, n: number): KafkaRecord {
  return {
    topic,
    key,
    value: Buffer.from(JSON.stringify({ n })),
    headers: { ce_id: `id-${n}`, ce_type: 'test.v1' },
    eventId: `id-${n}`,
    eventType: 'test.v1',
  };
}

describe.each(CLIENTS)('%s publisher, real broker', (client) => {
  it('a batch holding a record Kafka refuses for good: that record fails with RecordRefusedError, the others are delivered in order', async () => {
    const topic = uniqueTopic('refused');
    await createTopic(brokers(), topic, 1, [{ name: 'max.message.bytes', value: '4000' }]);
    // No topic limits known up front: the broker's MESSAGE_TOO_LARGE is what splits the batch.
    const { publisher, registry } = publisherFor({}, { client });
    await publisher.connect();
    try {
      const records = Array.from({ length: 9 }, (_, n) => record(topic, 'k', n));
      records[4] = { ...records[4]!, value: Buffer.alloc(10_000, 120) };
      const outcomes = await Promise.allSettled(records.map((r) => publisher.publish(r, 10_000)));
      const refused = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [[i, o.reason]] : []));
      expect(refused).toHaveLength(1);
      expect(refused[0]![0]).toBe(4);
      expect(refused[0]![1]).toBeInstanceOf(RecordRefusedError);
      expect(refused[0]![1]).toMatchObject({ kafkaError: 'MESSAGE_TOO_LARGE', topic });
      const messages = await consumeAll(brokers(), topic, { expected: 8, timeoutMs: 30_000 });
      expect(messages.map((m) => m.headers.ce_id)).toEqual(
        [0, 1, 2, 3, 5, 6, 7, 8].map((n) => `id-${n}`),
      );
      expect(
        await metricValue(registry, 'live_bridge_events_forwarded_total', { type: 'test.v1' }),
      ).toBe(8);
      // The broker answered: a refused record does not make Kafka look unreachable.
      expect(await metricValue(registry, 'live_bridge_kafka_connected')).toBe(1);
    } finally {
      await publisher.close(5000);
    }
  });

  it('a batch too large only as a whole, over several partitions, is split until every record is stored (limits unknown)', async () => {
    const topic = uniqueTopic('too-large-batch');
    await createTopic(brokers(), topic, 3, [{ name: 'max.message.bytes', value: '4000' }]);
    const { publisher } = publisherFor({}, { client });
    await publisher.connect();
    try {
      // Two small records on one partition, ten of ~600 bytes on another: the broker stores the
      // first partition's share of the request and refuses the second's (over 4000 bytes).
      const keyOn = (partition: number, from: number): string => {
        for (let n = from; ; n++)
          if (partitionForKey(`key-${n}`, 3) === partition) return `key-${n}`;
      };
      const small = keyOn(0, 0);
      const large = keyOn(1, 0);
      const records = [
        record(topic, small, 0),
        ...Array.from({ length: 10 }, (_, n) => ({
          ...record(topic, large, n + 1),
          value: Buffer.alloc(600, 97),
        })),
        record(topic, small, 11),
      ];
      await Promise.all(records.map((r) => publisher.publish(r, 20_000)));
      // Everything in the topic (stored twice is allowed: at-least-once, same event ids).
      const messages = await readTopic(brokers(), topic, 30_000);
      expect(new Set(messages.map((m) => m.headers.ce_id))).toEqual(
        new Set(records.map((r) => r.eventId)),
      );
    } finally {
      await publisher.close(5000);
    }
  });

  it('acks concurrent publishes in shared batches, keeping per-key order and headers', async () => {
    const topic = uniqueTopic('publisher');
    await createTopic(brokers(), topic, 3);
    const { publisher, registry } = publisherFor({}, { client });
    await publisher.connect();
    try {
      const keys = ['a', 'b', 'c', 'd'];
      const records = Array.from({ length: 400 }, (_, n) => record(topic, keys[n % 4]!, n));
      await Promise.all(records.map((r) => publisher.publish(r, 10_000)));
      expect(
        await metricValue(registry, 'live_bridge_events_forwarded_total', { type: 'test.v1' }),
      ).toBe(400);
      const batches = (
        await registry.getSingleMetric('live_bridge_kafka_batch_size')!.get()
      ).values.find(
        (v) => (v as { metricName?: string }).metricName === 'live_bridge_kafka_batch_size_count',
      )!.value;
      expect(batches).toBeLessThan(400 / 4);
      expect(await metricValue(registry, 'live_bridge_kafka_connected')).toBe(1);

      const messages = await consumeAll(brokers(), topic, { expected: 400, timeoutMs: 30_000 });
      expect(messages).toHaveLength(400);
      for (const key of keys) {
        const ns = messages
          .filter((m) => m.key === key)
          .sort((x, y) => Number(BigInt(x.offset) - BigInt(y.offset)))
          .map((m) => (JSON.parse(m.value.toString()) as { n: number }).n);
        expect(ns).toEqual([...ns].sort((x, y) => x - y));
        expect(ns).toHaveLength(100);
        // one key, one partition
        expect(new Set(messages.filter((m) => m.key === key).map((m) => m.partition)).size).toBe(1);
      }
      const first = messages.find((m) => m.headers.ce_id === 'id-0')!;
      expect(first.headers.ce_type).toBe('test.v1');
    } finally {
      await publisher.close(5000);
    }
  });

  it('compresses with gzip when configured', async () => {
    const topic = uniqueTopic('gzip');
    await createTopic(brokers(), topic, 1);
    const { publisher } = publisherFor({ KAFKA_COMPRESSION: 'gzip' }, { client });
    await publisher.connect();
    try {
      await publisher.publish(record(topic, 'k', 1), 10_000);
      const [message] = await consumeAll(brokers(), topic, { expected: 1, timeoutMs: 20_000 });
      expect(JSON.parse(message!.value.toString())).toEqual({ n: 1 });
    } finally {
      await publisher.close(5000);
    }
  });

  it('fails within its deadline when no broker answers', async () => {
    const { publisher, registry } = publisherFor(
      {
        KAFKA_BROKERS: '127.0.0.1:1',
        KAFKA_CONNECTION_TIMEOUT_MS: '200',
        // 1 is refused with the platformatic client (it would mean unlimited retries)
        KAFKA_RETRY_RETRIES: '2',
      },
      { client },
    );
    const started = Date.now();
    const error = await publisher.publish(record('nowhere', 'k', 1), 800).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toBeInstanceOf(PublishError);
    expect(['PUBLISH_FAILED', 'PUBLISH_TIMEOUT']).toContain((error as PublishError).code);
    expect(
      await metricValue(registry, 'live_bridge_events_forwarded_total', { type: 'test.v1' }),
    ).toBe(0);
    await publisher.close(100).catch(() => undefined);
  });

  it('flushes queued records on close', async () => {
    const topic = uniqueTopic('close');
    await createTopic(brokers(), topic, 1);
    const { publisher } = publisherFor({}, { client });
    await publisher.connect();
    const pending = Array.from({ length: 50 }, (_, n) =>
      publisher.publish(record(topic, 'k', n), 10_000),
    );
    await publisher.close(10_000);
    await Promise.all(pending);
    const messages = await consumeAll(brokers(), topic, { expected: 50, timeoutMs: 20_000 });
    expect(messages).toHaveLength(50);
  });

  it('stores the value byte for byte and the key and headers exactly (read back with kafkajs)', async () => {
    const topic = uniqueTopic('bytes');
    await createTopic(brokers(), topic, 1);
    const { publisher } = publisherFor({}, { client });
    await publisher.connect();
    try {
      // every byte value, so also bytes that are not UTF-8
      const value = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      const headers = {
        ce_id: 'id-bytes',
        ce_subject: 'räume/ß/🎥',
        'content-type': 'application/octet-stream',
        ce_empty: '',
      };
      await publisher.publish(
        { topic, key: 'rüm-1', value, headers, eventId: 'id-bytes', eventType: 'test.v1' },
        10_000,
      );
      const [message] = await consumeAll(brokers(), topic, { expected: 1, timeoutMs: 20_000 });
      expect(message!.value.equals(value)).toBe(true);
      expect(message!.key).toBe('rüm-1');
      expect(message!.headers).toEqual(headers);
    } finally {
      await publisher.close(5000);
    }
  });
});

/**
 * The producer ids the broker holds state for on partition 0 of `topic`, the most recent write
 * last (DescribeProducers, KIP-664; kafkajs has no call for it).
 */
async function activeProducers(topic: string): Promise<bigint[]> {
  const [host, port] = brokers().split(',')[0]!.split(':');
  const connection = new Connection('describe-producers');
  await connection.connect(host!, Number(port));
  try {
    const response = await describeProducersV0.api.async(connection, [
      { name: topic, partitionIndexes: [0] },
    ]);
    return response.topics[0]!.partitions[0]!.activeProducers.sort((a, b) =>
      Number(a.lastTimestamp - b.lastTimestamp),
    ).map((producer) => producer.producerId);
  } finally {
    await connection.close();
  }
}

describe.each(CLIENTS)('the producer id (%s)', (client) => {
  it('is replaced when a refused batch is split, and the records after it are stored under the new one', async () => {
    const topic = uniqueTopic('producer-id');
    await createTopic(brokers(), topic, 1, [{ name: 'max.message.bytes', value: '4000' }]);
    const { publisher } = publisherFor({}, { client });
    await publisher.connect();
    try {
      await publisher.publish(record(topic, 'k', 0), 10_000);
      const [first] = await activeProducers(topic);
      expect(first).toBeDefined();
      // one batch: the broker refuses it for the oversized record, the bridge splits it
      const batch = [1, 2, 3].map((n) => record(topic, 'k', n));
      batch[1] = { ...batch[1]!, value: Buffer.alloc(10_000, 120) };
      const outcomes = await Promise.allSettled(batch.map((r) => publisher.publish(r, 10_000)));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      await publisher.publish(record(topic, 'k', 4), 10_000);
      const producers = await activeProducers(topic);
      // kafkajs' sender replaces its producer before splitting; platformatic drops its producer
      // id after any failed send and asks for a new one with the next
      expect(producers.at(-1)).not.toBe(first);
      const messages = await consumeAll(brokers(), topic, { expected: 4, timeoutMs: 20_000 });
      expect(new Set(messages.map((m) => m.headers.ce_id))).toEqual(
        new Set(['id-0', 'id-1', 'id-3', 'id-4']),
      );
    } finally {
      await publisher.close(5000);
    }
  });
});

describe('partitioning', () => {
  it('both clients place 50 keys on the same partitions, those of the Java client', async () => {
    const partitions = 7;
    const topic = uniqueTopic('same-partitions');
    await createTopic(brokers(), topic, partitions);
    const keys = Array.from({ length: 50 }, (_, n) => `room-${n * 7919}`);
    for (const client of CLIENTS) {
      const { publisher } = publisherFor({}, { client });
      await publisher.connect();
      try {
        await Promise.all(
          keys.map((key, n) =>
            publisher.publish(
              { ...record(topic, key, n), headers: { ce_id: `${client}-${n}`, client } },
              10_000,
            ),
          ),
        );
      } finally {
        await publisher.close(5000);
      }
    }
    const messages = await consumeAll(brokers(), topic, { expected: 100, timeoutMs: 30_000 });
    const placement = (client: Client): Record<string, number> =>
      Object.fromEntries(
        messages
          .filter((m) => m.headers.client === client)
          .map((m): [string, number] => [m.key ?? '', m.partition]),
      );
    const java = Object.fromEntries(keys.map((key) => [key, partitionForKey(key, partitions)]));
    expect(placement('kafkajs')).toEqual(java);
    expect(placement('platformatic')).toEqual(java);
    // the keys spread over every partition, so a wrong hash could not agree by chance
    expect(new Set(Object.values(java)).size).toBe(partitions);
  });
});

describe('the Produce request encoder (kafka.produceEncoder)', () => {
  it("is the bridge's own by default, installed before kafkajs' first produce", async () => {
    const topic = uniqueTopic('encoder-bridge');
    await createTopic(brokers(), topic, 1);
    const { publisher } = publisherFor({});
    await publisher.connect();
    try {
      await publisher.publish(record(topic, 'k', 1), 10_000);
      // true only if it was installed before this produce (afterwards it can no longer be)
      expect(useOwnProduceEncoder()).toBe(true);
      const [message] = await consumeAll(brokers(), topic, { expected: 1, timeoutMs: 20_000 });
      expect(message!.headers.ce_id).toBe('id-1');
    } finally {
      await publisher.close(5000);
    }
  });

  it("can be kafkajs' own, and the records read the same", async () => {
    const topic = uniqueTopic('encoder-kafkajs');
    await createTopic(brokers(), topic, 2);
    const { publisher } = publisherFor({ KAFKA_PRODUCE_ENCODER: 'kafkajs' });
    await publisher.connect();
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          publisher.publish(record(topic, `k${n % 3}`, n), 10_000),
        ),
      );
      const messages = await consumeAll(brokers(), topic, { expected: 20, timeoutMs: 20_000 });
      expect(messages.map((m) => m.headers.ce_id).sort()).toEqual(
        Array.from({ length: 20 }, (_, n) => `id-${n}`).sort(),
      );
      for (const m of messages) {
        const { n } = JSON.parse(m.value.toString()) as { n: number };
        expect(m.key).toBe(`k${n % 3}`);
        expect(m.headers.ce_type).toBe('test.v1');
      }
    } finally {
      await publisher.close(5000);
    }
  });
});

describe.each(CLIENTS)("the client's log lines (%s)", (client) => {
  it('go through the bridge logger at debug (the bridge logs state changes itself)', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const { publisher } = publisherFor(
      {
        KAFKA_BROKERS: '127.0.0.1:1',
        KAFKA_CONNECTION_TIMEOUT_MS: '200',
        KAFKA_RETRY_RETRIES: '2',
      },
      { logger, client },
    );
    await publisher.publish(record('nowhere', 'k', 1), 800).catch(() => undefined);
    await publisher.close(100).catch(() => undefined);
    // kafkajs' lines carry `kafkajs`, platformatic's `platformatic`
    const own = lines.filter((line) => line[client] !== undefined);
    expect(own.some((line) => line.level === 20)).toBe(true);
    expect(own.filter((line) => line.level !== 20)).toEqual([]);
  });

  it('say a deliberate disconnect is one, not a lost connection', async () => {
    const topic = uniqueTopic('disconnect');
    await createTopic(brokers(), topic, 1);
    const lines: { level: number; msg: string }[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
    );
    const { publisher, registry } = publisherFor({}, { logger, client });
    await publisher.connect();
    await publisher.publish(record(topic, 'k', 1), 10_000);
    await publisher.close(5000);
    const messages = lines.map((line) => line.msg);
    expect(messages).toContain('connected to Kafka');
    expect(messages).toContain('disconnected from Kafka');
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
    expect(await metricValue(registry, 'live_bridge_kafka_connected')).toBe(0);
  });
});

describe('topic creation', () => {
  it('creates missing topics with the configured partitions and leaves existing ones alone', async () => {
    const existing = uniqueTopic('exists');
    await createTopic(brokers(), existing, 1);
    const fresh = uniqueTopic('created');
    const kafka = createKafkaClient(brokers(), 'ensure-topics');
    await ensureTopics({
      kafka,
      topics: [existing, fresh, `${fresh}.quarantine`],
      partitions: 4,
      replicationFactor: 1,
      logger: pino({ level: 'silent' }),
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({
        topics: [existing, fresh, `${fresh}.quarantine`],
      });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ [existing]: 1, [fresh]: 4, [`${fresh}.quarantine`]: 4 });
    } finally {
      await admin.disconnect();
    }
  });
});
