/**
 * Records Kafka refuses for good (issue #15), through the real deliverer, drain step and batching
 * publisher over in-memory twins of Kafka and the spool: no broker, no file.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { PublishError, RecordRefusedError } from '../../src/errors';
import type { KafkaRecord } from '../../src/events/cloudevents';
import type { Refusal } from '../../src/kafka/kafkajs-publisher';
import {
  createBatchingPublisher,
  fitToLimits,
  recordBatchBytes,
} from '../../src/kafka/kafkajs-publisher';
import type { EventPublisher } from '../../src/kafka/publisher';
import { createMetrics } from '../../src/metrics';
import { createDeliverer, createDrainPublish } from '../../src/pipeline/deliver';
import { toRejection } from '../../src/http/respond';
import { SpoolFullError, createDrainer, inThreadSpool } from '../../src/spool';
import { createMemorySpool } from '../helpers/memory-spool';

const QUARANTINE = 'events.quarantine';

function record(n: number, topic = 'events', bytes = 10): KafkaRecord {
  return {
    topic,
    key: `1400000001:room-${n}`,
    value: Buffer.alloc(bytes, 97),
    headers: { ce_id: `id-${n}`, ce_type: 'test.v1' },
    eventId: `id-${n}`,
    eventType: 'test.v1',
  };
}

/** Kafka as a map: what each topic does with a record (default: takes it). */
function fakeKafka(behaviour: Record<string, 'take' | 'refuse' | 'down'> = {}) {
  const stored: KafkaRecord[] = [];
  const publisher: EventPublisher = {
    publish(r) {
      const what = behaviour[r.topic] ?? 'take';
      if (what === 'refuse')
        return Promise.reject(new RecordRefusedError('MESSAGE_TOO_LARGE', r.topic));
      if (what === 'down') return Promise.reject(new PublishError('PUBLISH_FAILED', 'down'));
      stored.push(r);
      return Promise.resolve();
    },
    connect: () => Promise.resolve(),
    close: () => Promise.resolve(),
    abandonQueued: () => undefined,
    isConnected: () => true,
  };
  return { publisher, stored, behaviour };
}

function setup(behaviour: Record<string, 'take' | 'refuse' | 'down'> = {}) {
  const kafka = fakeKafka(behaviour);
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const memory = createMemorySpool(() => 1000);
  const store = inThreadSpool(memory);
  const logged: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'error' },
    { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const drainPublish = createDrainPublish({
    publisher: kafka.publisher,
    deadlineMs: 1000,
    quarantineTopic: QUARANTINE,
    metrics,
    logger,
  });
  const drainer = createDrainer({
    spool: store,
    publish: drainPublish,
    batchSize: 10,
    backoffMinMs: 1,
    backoffMaxMs: 5,
  });
  const deliverer = createDeliverer({
    publisher: kafka.publisher,
    publishTimeoutMs: 1000,
    metrics,
    now: () => 1000,
    spool: { store, drainer },
    quarantineTopic: QUARANTINE,
    logger,
  });
  const deadLettered = async (reason = 'message_too_large') =>
    (await registry.getSingleMetric('live_bridge_events_dead_lettered_total')!.get()).values.find(
      (v) => v.labels.reason === reason,
    )?.value ?? 0;
  return { kafka, memory, drainer, deliverer, logged, deadLettered, drainPublish };
}

describe('a record Kafka refuses for good, on the direct path', () => {
  it('is answered durable: its copy goes to the quarantine topic with the Kafka error, counted and logged once', async () => {
    const { kafka, deliverer, logged, deadLettered } = setup({ events: 'refuse' });
    await expect(deliverer.deliver(record(1))).resolves.toBe('dead_lettered');
    expect(kafka.stored).toHaveLength(1);
    expect(kafka.stored[0]).toMatchObject({
      topic: QUARANTINE,
      key: '1400000001:room-1',
      eventId: 'id-1',
      headers: {
        ce_id: 'id-1',
        ce_type: 'test.v1',
        ce_quarantinereason: 'kafka_refused',
        ce_kafkaerror: 'MESSAGE_TOO_LARGE',
        ce_originaltopic: 'events',
      },
    });
    expect(await deadLettered()).toBe(1);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ eventId: 'id-1', kafkaError: 'MESSAGE_TOO_LARGE' });
  });

  it('goes to the dead-letter table, as it was, when the quarantine topic refuses it too', async () => {
    const { kafka, memory, deliverer, deadLettered } = setup({
      events: 'refuse',
      [QUARANTINE]: 'refuse',
    });
    await expect(deliverer.deliver(record(2))).resolves.toBe('dead_lettered');
    expect(kafka.stored).toEqual([]);
    expect(memory.dead).toHaveLength(1);
    expect(memory.dead[0]).toMatchObject({
      topic: 'events',
      eventId: 'id-2',
      kafkaError: 'MESSAGE_TOO_LARGE',
    });
    expect(memory.dead[0]!.headers.ce_quarantinereason).toBeUndefined();
    expect(await deadLettered()).toBe(1);
  });

  it('does not hold back the records after it', async () => {
    const { kafka, deliverer } = setup();
    kafka.behaviour.events = 'refuse';
    const first = deliverer.deliver(record(1));
    await first;
    kafka.behaviour.events = 'take';
    await expect(deliverer.deliver(record(2))).resolves.toBe('published');
    expect(kafka.stored.map((r) => `${r.topic}/${r.eventId}`)).toEqual([
      `${QUARANTINE}/id-1`,
      'events/id-2',
    ]);
  });

  it('is answered 503 overloaded when the spool is full for its dead letter too', async () => {
    const { memory, deliverer } = setup({ events: 'refuse', [QUARANTINE]: 'refuse' });
    memory.addDeadLetters = () => {
      throw new SpoolFullError('minFreeBytes', 'spool full: 10 bytes free on its volume');
    };
    await expect(deliverer.deliver(record(4))).rejects.toMatchObject({ code: 'OVERLOADED' });
  });

  it('without a spool and with the quarantine topic refusing too, is refused to the caller', async () => {
    const kafka = fakeKafka({ events: 'refuse', [QUARANTINE]: 'refuse' });
    const deliverer = createDeliverer({
      publisher: kafka.publisher,
      publishTimeoutMs: 1000,
      metrics: createMetrics(new Registry(), { defaultMetrics: false }),
      now: () => 1000,
      quarantineTopic: QUARANTINE,
      logger: pino({ level: 'silent' }),
    });
    await expect(deliverer.deliver(record(3))).rejects.toMatchObject({ code: 'RECORD_REFUSED' });
  });
});

describe('a refused record already diverted to the spool', () => {
  it('is dead-lettered once, by the drainer, not also on the direct path', async () => {
    const { kafka, memory, drainer, deliverer, deadLettered } = setup();
    const fake = kafka.publisher.publish.bind(kafka.publisher);
    let refuseFirst: (error: unknown) => void = () => undefined;
    let calls = 0;
    kafka.publisher.publish = (r, ms) => {
      calls++;
      // 1: held, later refused for good; 2: fails at once, which diverts 1 and 2 to the spool
      if (calls === 1) return new Promise((_, reject) => (refuseFirst = reject));
      if (calls === 2) return Promise.reject(new PublishError('PUBLISH_FAILED', 'down'));
      if (r.topic === 'events' && r.eventId === 'id-1') {
        return Promise.reject(new RecordRefusedError('MESSAGE_TOO_LARGE', r.topic));
      }
      return fake(r, ms);
    };
    const first = deliverer.deliver(record(1));
    const second = deliverer.deliver(record(2));
    await expect(second).resolves.toBe('spooled');
    refuseFirst(new RecordRefusedError('MESSAGE_TOO_LARGE', 'events'));
    await expect(first).resolves.toBe('spooled');
    expect(await drainer.drainNow(5000)).toBe(true);
    expect(memory.records).toEqual([]);
    expect(kafka.stored.map((r) => `${r.topic}/${r.eventId}`)).toEqual([
      'events/id-2',
      `${QUARANTINE}/id-1`,
    ]);
    expect(await deadLettered()).toBe(1);
    await drainer.stop();
  });
});

describe('a refused record in the spool', () => {
  it('is taken off the head: its copy to quarantine, the rest drained behind it', async () => {
    const { kafka, memory, drainer, deadLettered } = setup();
    memory.append([1, 2, 3].map((n) => ({ ...record(n), acceptedAt: 1 })));
    kafka.behaviour.events = 'refuse';
    // Only record 2 is refused: refuse by id through a wrapper around the fake.
    const take = kafka.publisher.publish.bind(kafka.publisher);
    kafka.publisher.publish = (r, ms) =>
      r.topic === 'events' && r.eventId !== 'id-2'
        ? (kafka.stored.push(r), Promise.resolve())
        : take(r, ms);
    drainer.kick();
    expect(await drainer.drainNow(5000)).toBe(true);
    expect(memory.records).toEqual([]);
    expect(kafka.stored.map((r) => `${r.topic}/${r.eventId}`)).toEqual([
      'events/id-1',
      'events/id-3',
      `${QUARANTINE}/id-2`,
    ]);
    expect(memory.dead).toEqual([]);
    expect(await deadLettered()).toBe(1);
    await drainer.stop();
  });

  it('moves to the dead-letter table in the same step when the quarantine topic refuses it too', async () => {
    const { memory, drainer } = setup({ events: 'refuse', [QUARANTINE]: 'refuse' });
    memory.append([{ ...record(1), acceptedAt: 1 }]);
    drainer.kick();
    expect(await drainer.drainNow(5000)).toBe(true);
    expect(memory.records).toEqual([]);
    expect(memory.dead.map((d) => [d.eventId, d.topic, d.kafkaError])).toEqual([
      ['id-1', 'events', 'MESSAGE_TOO_LARGE'],
    ]);
    await drainer.stop();
  });

  it('a retriable failure alongside keeps the whole batch for a retry', async () => {
    const { drainPublish, memory } = setup({ events: 'down' });
    const [stored] = memory.append([{ ...record(1), acceptedAt: 1 }]);
    await expect(drainPublish([stored!])).rejects.toBeInstanceOf(PublishError);
  });
});

describe('the batching publisher', () => {
  function senderWith(send: (records: KafkaRecord[]) => Promise<Refusal[]>) {
    return createBatchingPublisher({
      sender: {
        send,
        connect: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
        isConnected: () => true,
      },
      batch: { maxMessages: 100, lingerMs: 0 },
      metrics: createMetrics(new Registry(), { defaultMetrics: false }),
      limits: (topic) => (topic === 'small' ? 500 : undefined),
    });
  }

  it("refuses a record larger than its topic's max.message.bytes without sending it", async () => {
    const sent: KafkaRecord[] = [];
    const publisher = senderWith((records) => (sent.push(...records), Promise.resolve([])));
    const big = record(1, 'small', 600);
    expect(recordBatchBytes(big)).toBeGreaterThan(500);
    await expect(publisher.publish(big, 1000)).rejects.toMatchObject({
      code: 'RECORD_REFUSED',
      kafkaError: 'MESSAGE_TOO_LARGE',
      topic: 'small',
    });
    await publisher.publish(record(2, 'small', 300), 1000);
    await publisher.publish(record(3, 'other', 5000), 1000);
    expect(sent.map((r) => r.eventId)).toEqual(['id-2', 'id-3']);
  });

  it("cuts a batch into requests that fit each topic's max.message.bytes, in order", () => {
    const records = [1, 2, 3, 4, 5].map((n) => record(n, 'small', 100));
    const chunks = fitToLimits(records, (topic) => (topic === 'small' ? 500 : undefined));
    expect(chunks.flat()).toEqual(records);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      const bytes = 61 + chunk.reduce((sum, r) => sum + recordBatchBytes(r) - 61, 0);
      expect(bytes).toBeLessThanOrEqual(500);
    }
    expect(fitToLimits(records, undefined)).toEqual([records]);
    expect(fitToLimits(records, () => undefined)).toEqual([records]);
  });

  it('estimates a record batch no smaller than its parts', () => {
    const r = record(1, 'small', 100);
    const parts = 61 + r.key.length + r.value.length;
    expect(recordBatchBytes(r)).toBeGreaterThan(parts);
  });

  it('fails only the records the sender reports refused', async () => {
    const publisher = senderWith(() =>
      Promise.resolve([{ index: 1, kafkaError: 'INVALID_RECORD' }]),
    );
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map((n) => publisher.publish(record(n), 1000)),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('fails every waiting failFast publish at once when the connection drops; the others wait for the real outcome', async () => {
    const releases: (() => void)[] = [];
    const publisher = senderWith(
      () => new Promise<Refusal[]>((resolve) => releases.push(() => resolve([]))),
    );
    const started = Date.now();
    const fast = [1, 2].map((n) => publisher.publish(record(n), 60_000, { failFast: true }));
    let patientDone = false;
    const patient = publisher.publish(record(3), 60_000).then(() => (patientDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    publisher.connectionLost();
    for (const w of fast) await expect(w).rejects.toMatchObject({ code: 'PUBLISH_FAILED' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(patientDone).toBe(false);
    releases.shift()!(); // the first batch's real outcome: acked
    await new Promise((resolve) => setImmediate(resolve));
    releases.shift()?.();
    await patient;
    expect(patientDone).toBe(true);
  });
});

describe('the answer when nothing could keep a refused event', () => {
  it('is a Tencent-format refusal with its own reason, not an internal error', () => {
    expect(toRejection(new RecordRefusedError('POLICY_VIOLATION', 'events'))).toEqual({
      code: 'KAFKA_REFUSED',
      status: 500,
      errorCode: 50002,
      reason: 'kafka_refused',
      message: 'Kafka refused the event (POLICY_VIOLATION)',
    });
  });
});
