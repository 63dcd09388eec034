/**
 * jest globalSetup: finds or starts the Kafka broker shared by all test files (see resolveKafka)
 * and hands it to the workers through process.env.KAFKA_BROKERS.
 */
import { resolveKafka } from './kafka-broker';
import type { ResolvedKafka } from './kafka-broker';

/** Shared with kafka-global-teardown.ts (same process, same globalThis). */
export type KafkaGlobal = typeof globalThis & { __KAFKA_TEST_BROKER__?: ResolvedKafka };

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const kafka = await resolveKafka();
  process.env.KAFKA_BROKERS = kafka.brokers;
  (globalThis as KafkaGlobal).__KAFKA_TEST_BROKER__ = kafka;
  if (kafka.source !== 'env') {
    console.log(
      `\nKafka for tests: ${kafka.brokers} (${kafka.source}, ${Date.now() - started} ms)`,
    );
  }
}
