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
import { sleep, waitFor } from '../helpers/fault';
import { sameKeyRecord as record, scriptedPipeline } from '../helpers/scripted-kafka';

describe('a Kafka failure with several callbacks of one key in flight', () => {
  it('spools and then publishes the callbacks of one key in acceptance order (regression: a failed multi-record batch once let queued callbacks overtake the rest of it)', async () => {
    const pipeline = scriptedPipeline({ publishTimeoutMs: 300, tempPrefix: 'fault-order-' });
    const { script, deliverer } = pipeline;
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
      expect(await pipeline.replay()).toBe(true);

      // Acceptance order of the key is 1, 2, 3, 4; that is what a consumer must see.
      expect(script.log).toEqual(['event-1', 'event-2', 'event-3', 'event-4']);
    } finally {
      await pipeline.close();
    }
  });
});
