import type { KafkaRecord } from '../events/cloudevents';

/**
 * What the pipeline needs from Kafka. The only implementation over kafkajs is
 * kafkajs-publisher.ts; tests and benchmarks may pass others.
 */
export interface EventPublisher {
  /**
   * Resolves once Kafka acknowledged the record with `acks=all`.
   * @throws PublishError `PUBLISH_TIMEOUT` when no ack came within `deadlineMs`, or
   * `PUBLISH_FAILED` when the broker refused it or could not be reached.
   */
  publish(record: KafkaRecord, deadlineMs: number): Promise<void>;
  /** Connects the producer; rejects if Kafka cannot be reached now (the caller may retry). */
  connect(): Promise<void>;
  /** Sends what is queued (bounded by `timeoutMs`), then disconnects. */
  close(timeoutMs: number): Promise<void>;
  /**
   * Fails every record still waiting for a produce request with `PUBLISH_FAILED`, so that after a
   * failure nothing accepted later can reach Kafka ahead of what went to the spool.
   */
  abandonQueued(): void;
  /** Whether the last contact with Kafka succeeded. */
  isConnected(): boolean;
}
