/**
 * The spool's I/O thread dies while callbacks are being spooled (Kafka failing at once): each
 * callback is then either refused (503 SPOOL_UNAVAILABLE) or in the spool file; none is answered
 * "spooled" without being there. The real deliverer, worker spool and I/O thread; a publisher
 * that always fails. From an adversarial review of "OK means durable" (it passed).
 */
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { CallbackRejectedError, PublishError } from '../../src/errors';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { startIoThread } from '../../src/io-thread';
import type { EventPublisher } from '../../src/kafka/publisher';
import { createMetrics } from '../../src/metrics';
import { createDeliverer } from '../../src/pipeline/deliver';
import { createDrainer, createSqliteSpool, createWorkerSpool } from '../../src/spool';
import { sleep } from '../helpers/fault';
import { testTempDir } from '../helpers/temp-dir';

function record(n: number): KafkaRecord {
  return {
    topic: 'events',
    key: `room-${n % 7}`,
    value: Buffer.alloc(2000, n % 256),
    headers: { ce_id: `event-${n}`, ce_type: 'test' },
    eventId: `event-${n}`,
    eventType: 'test',
  };
}

it('answers no callback "spooled" that is missing from the file when the I/O thread dies', async () => {
  const options = {
    path: join(testTempDir('spool-thread-crash-'), 'spool.sqlite'),
    maxEvents: 1_000_000,
    maxBytes: 1 << 30,
    maxAgeSeconds: 3600,
  };
  const thread = startIoThread({ spool: options });
  const crashes: Error[] = [];
  const store = await createWorkerSpool({ ...options, thread, onCrash: (e) => crashes.push(e) });
  const publisher: EventPublisher = {
    publish: () => Promise.reject(new PublishError('PUBLISH_FAILED', 'down')),
    connect: () => Promise.resolve(),
    close: () => Promise.resolve(),
    abandonQueued: () => undefined,
    isConnected: () => false,
  };
  const drainer = createDrainer({
    spool: store,
    batchSize: 100,
    backoffMinMs: 10_000,
    backoffMaxMs: 10_000,
    publish: () => Promise.reject(new Error('Kafka down')),
  });
  const deliverer = createDeliverer({
    publisher,
    publishTimeoutMs: 1000,
    metrics: createMetrics(new Registry(), { defaultMetrics: false }),
    now: Date.now,
    spool: { store, drainer },
    quarantineTopic: 'q',
    logger: pino({ level: 'silent' }),
  });
  // 20 callbacks every ~2 ms for 400 ms; the thread is terminated half way.
  const outcomes: Promise<{ id: string; outcome: string }>[] = [];
  let n = 0;
  const started = Date.now();
  let killed = false;
  while (Date.now() - started < 400) {
    for (let i = 0; i < 20; i++) {
      const r = record(n++);
      outcomes.push(
        deliverer.deliver(r).then(
          (outcome) => ({ id: r.eventId, outcome }),
          (error: unknown) => ({
            id: r.eventId,
            outcome:
              error instanceof CallbackRejectedError ? `rejected:${error.code}` : String(error),
          }),
        ),
      );
    }
    if (!killed && Date.now() - started > 200) {
      killed = true;
      void thread.worker.terminate();
    }
    await sleep(2);
  }
  const settled = await Promise.all(outcomes);
  await drainer.stop();
  const file = createSqliteSpool(options);
  const inFile = new Set(file.peek(1_000_000).map((r) => r.eventId));
  file.close();
  const spooled = settled.filter((s) => s.outcome === 'spooled');
  expect(crashes).toHaveLength(1);
  expect(spooled.length).toBeGreaterThan(0);
  expect(spooled.filter((s) => !inFile.has(s.id))).toEqual([]);
  expect(
    settled.filter((s) => s.outcome !== 'spooled' && s.outcome !== 'rejected:SPOOL_UNAVAILABLE'),
  ).toEqual([]);
}, 30_000);
