import { callbackUrl, createRoomBody } from '../helpers/tencent';
import { startMemoryBridge } from '../helpers/memory-bridge';

describe('shutdown with events in the spool', () => {
  it('drains them when Kafka is back but the publisher has not heard yet (a drain backoff)', async () => {
    const { bridge, publisher, spool, origin } = await startMemoryBridge({
      SPOOL_DRAIN_BACKOFF_MIN_MS: '60000',
      SPOOL_DRAIN_BACKOFF_MAX_MS: '60000',
    });
    publisher.failWith('PUBLISH_FAILED');
    const answer = await fetch(origin + callbackUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(createRoomBody('back-at-shutdown')),
    });
    expect(answer.status).toBe(200);
    expect(spool.records).toHaveLength(1);
    // Kafka answers again, but the drainer sleeps in its backoff: the flag still says away.
    publisher.failWith(undefined);
    publisher.isConnected = () => false;
    const started = Date.now();
    await bridge.stop(20_000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(spool.records).toEqual([]);
    expect(publisher.records.map((r) => r.eventId)).toEqual([answer.headers.get('x-event-id')]);
  });

  it('spends no more than one connection timeout on a Kafka that does not answer', async () => {
    const { bridge, publisher, spool, origin } = await startMemoryBridge({
      KAFKA_CONNECTION_TIMEOUT_MS: '500',
    });
    publisher.failWith('PUBLISH_FAILED');
    const answer = await fetch(origin + callbackUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(createRoomBody('away-at-shutdown')),
    });
    expect(answer.status).toBe(200);
    const started = Date.now();
    await bridge.stop(20_000);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(spool.records.map((r) => r.eventId)).toEqual([answer.headers.get('x-event-id')]);
  });
});
