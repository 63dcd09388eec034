import type { KafkaRecord } from '../events/cloudevents';

/**
 * What the pipeline needs from Kafka. Implemented by `createBatchingPublisher`
 * (kafkajs-publisher.ts) over the sender of the configured client (kafka-publisher.ts), on the
 * event loop; tests and benchmarks may pass others.
 */
export interface EventPublisher {
  /**
   * Resolves once Kafka acknowledged the record with `acks=all`.
   * With `failFast`, a broker connection that drops while the record waits fails it at once
   * (PUBLISH_FAILED) instead of at its deadline: for callers that have somewhere else to put it
   * (the deliverer spools it). The drainer waits for the real outcome instead, so it never sends a
   * batch again while the first copy is still being retried.
   * When a produce request fails as a whole, every record still queued behind it (in no request
   * yet) fails at once with `PUBLISH_FAILED`, failFast or not: none of them may reach Kafka
   * before its caller has reacted to the earlier failure.
   * @throws PublishError `PUBLISH_TIMEOUT` when no ack came within `deadlineMs`, or
   * `PUBLISH_FAILED` when Kafka could not be reached or answered with a retriable error;
   * RecordRefusedError when Kafka refused this record for good (see kafka-errors.ts).
   */
  publish(record: KafkaRecord, deadlineMs: number, options?: { failFast?: boolean }): Promise<void>;
  /** Connects the producer; rejects if Kafka cannot be reached now (the caller may retry). */
  connect(): Promise<void>;
  /**
   * Sends what is queued (bounded by `timeoutMs`), then disconnects, waiting for the client at
   * most the rest of `timeoutMs` (at least 1 s): a broker that does not answer cannot hold up a
   * shutdown. Rejects when the client's disconnect fails within that time.
   */
  close(timeoutMs: number): Promise<void>;
  /**
   * Fails every record still waiting for a produce request with `PUBLISH_FAILED`, so that after a
   * failure nothing accepted later can reach Kafka ahead of what went to the spool.
   */
  abandonQueued(): void;
  /** Whether the last contact with Kafka succeeded. */
  isConnected(): boolean;
}
