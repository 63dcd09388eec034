import type { MemoryBridge } from '../helpers/memory-bridge';
import { startMemoryBridge } from '../helpers/memory-bridge';
import { callbackUrl, createRoomBody } from '../helpers/tencent';

/** A callback sent while Kafka fails, so it is answered OK from the spool; its event id. */
async function spoolOne({ publisher, origin }: MemoryBridge, room: string): Promise<string> {
  publisher.failWith('PUBLISH_FAILED');
  const answer = await fetch(origin + callbackUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(createRoomBody(room)),
  });
  expect(answer.status).toBe(200);
  return answer.headers.get('x-event-id')!;
}

describe('shutdown with events in the spool', () => {
  it('drains them when Kafka is back but the publisher has not heard yet (a drain backoff)', async () => {
    const memory = await startMemoryBridge({
      SPOOL_DRAIN_BACKOFF_MIN_MS: '60000',
      SPOOL_DRAIN_BACKOFF_MAX_MS: '60000',
    });
    const { bridge, publisher, spool } = memory;
    const eventId = await spoolOne(memory, 'back-at-shutdown');
    expect(spool.records).toHaveLength(1);
    // Kafka answers again, but the drainer sleeps in its backoff: the flag still says away.
    publisher.failWith(undefined);
    publisher.isConnected = () => false;
    const started = Date.now();
    await bridge.stop(20_000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(spool.records).toEqual([]);
    expect(publisher.records.map((r) => r.eventId)).toEqual([eventId]);
  });

  it('spends no more than one connection timeout on a Kafka that does not answer', async () => {
    const memory = await startMemoryBridge({
      KAFKA_CONNECTION_TIMEOUT_MS: '500',
    });
    const { bridge, spool } = memory;
    const eventId = await spoolOne(memory, 'away-at-shutdown');
    const started = Date.now();
    await bridge.stop(20_000);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(spool.records.map((r) => r.eventId)).toEqual([eventId]);
  });
});
