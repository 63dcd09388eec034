import { join } from 'node:path';
import { brokers, buildTestBridge, metricValue, uniqueTopic } from '../helpers/bridge';
import { consumeAll, createTopic } from '../helpers/kafka-broker';
import { APP_ID, callbackUrl, createRoomBody } from '../helpers/tencent';
import { testTempDir } from '../helpers/temp-dir';

const DOWN = {
  KAFKA_BROKERS: '127.0.0.1:1',
  KAFKA_CONNECTION_TIMEOUT_MS: '200',
  KAFKA_RETRY_RETRIES: '1',
  SPOOL_DRAIN_BACKOFF_MIN_MS: '50',
  SPOOL_DRAIN_BACKOFF_MAX_MS: '200',
};

/** Polls `condition` every 50 ms until it holds; throws after `timeoutMs`. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function post(bridge: Awaited<ReturnType<typeof buildTestBridge>>, body: unknown) {
  return bridge.bridge.webhook.inject({
    method: 'POST',
    url: callbackUrl(),
    payload: JSON.stringify(body),
  });
}

describe('durability: spool, drain on restart, dedupe', () => {
  it('answers OK while Kafka is down, spools, and a restarted bridge drains in acceptance order', async () => {
    const spoolPath = join(testTempDir('bridge-spool-'), 'spool.sqlite');
    const topic = uniqueTopic('durable');
    await createTopic(brokers(), topic, 3);

    const down = await buildTestBridge({ ...DOWN, KAFKA_TOPIC: topic }, { spoolPath });
    const ids: string[] = [];
    try {
      for (let n = 0; n < 30; n++) {
        const started = Date.now();
        const response = await post(
          down,
          createRoomBody('same-room', { top: { EventTime: 1703589922000 + n } }),
        );
        expect(response.statusCode).toBe(200);
        expect(Date.now() - started).toBeLessThan(2000);
        ids.push(String(response.headers['x-event-id']));
      }
      expect(down.spool!.stats().depth).toBe(30);
      expect(await metricValue(down.registry, 'live_bridge_events_spooled_total')).toBe(30);
      expect(await metricValue(down.registry, 'live_bridge_spool_depth')).toBe(30);
      // The drainer keeps trying (and failing) in the background; bounded wait for its first try.
      await waitFor(
        async () =>
          (await metricValue(down.registry, 'live_bridge_spool_drain_failures_total')) > 0,
        10_000,
      );
      // Kafka down, spool has room: still ready.
      const ready = await down.bridge.admin.inject('/readyz');
      expect(JSON.parse(ready.payload)).toMatchObject({
        ready: true,
        checks: { kafka: false, spool: true },
      });
    } finally {
      await down.bridge.stop(300);
    }

    const up = await buildTestBridge(
      { KAFKA_TOPIC: topic, KAFKA_BROKERS: brokers() },
      { spoolPath },
    );
    await up.publisher.connect();
    await up.bridge.start();
    try {
      const drained = await up.bridge.drainer!.drainNow(20_000);
      expect(drained).toBe(true);
      expect(up.spool!.isEmpty()).toBe(true);
      expect(await metricValue(up.registry, 'live_bridge_spool_drained_total')).toBe(30);
      const messages = await consumeAll(brokers(), topic, { expected: 30, timeoutMs: 20_000 });
      const inOrder = messages
        .filter((m) => m.key === `${APP_ID}:same-room`)
        .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)))
        .map((m) => m.headers.ce_id);
      expect(inOrder).toEqual(ids);
    } finally {
      await up.bridge.stop(5000);
    }
  });

  it('answers 503 overloaded when the spool is full, and counts it', async () => {
    const spoolPath = join(testTempDir('bridge-spool-'), 'spool.sqlite');
    const full = await buildTestBridge({ ...DOWN, SPOOL_MAX_EVENTS: '3' }, { spoolPath });
    try {
      // buildTestBridge sizes the spool from config: 3 events fit.
      const statuses: number[] = [];
      for (let n = 0; n < 5; n++) {
        statuses.push((await post(full, createRoomBody(`full-${n}`))).statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 503, 503]);
      const last = await post(full, createRoomBody('full-x'));
      expect(JSON.parse(last.payload)).toEqual({
        ActionStatus: 'FAIL',
        ErrorInfo: 'spool is full',
        ErrorCode: 50303,
      });
      expect(
        await metricValue(full.registry, 'live_bridge_callbacks_rejected_total', {
          reason: 'overloaded',
        }),
      ).toBe(3);
      const ready = await full.bridge.admin.inject('/readyz');
      expect(ready.statusCode).toBe(503);
    } finally {
      await full.bridge.stop(200);
    }
  });

  it('publishes a re-delivered callback once, and counts the duplicate', async () => {
    const topic = uniqueTopic('dedupe');
    await createTopic(brokers(), topic, 1);
    const t = await buildTestBridge({ KAFKA_TOPIC: topic });
    await t.publisher.connect();
    try {
      const body = createRoomBody('dup-room', { top: { EventTime: 1703589922780 } });
      const answers = [await post(t, body), await post(t, body)];
      // and two at the same time
      answers.push(...(await Promise.all([post(t, body), post(t, body)])));
      for (const answer of answers) expect(answer.statusCode).toBe(200);
      expect(new Set(answers.map((a) => a.headers['x-event-id'])).size).toBe(1);
      expect(await metricValue(t.registry, 'live_bridge_duplicates_total')).toBe(3);
      await post(t, createRoomBody('marker'));
      const messages = await consumeAll(brokers(), topic, { expected: 2, timeoutMs: 20_000 });
      expect(messages.map((m) => m.key)).toEqual([`${APP_ID}:dup-room`, `${APP_ID}:marker`]);
    } finally {
      await t.bridge.stop(5000);
    }
  });
});
