/** jest globalTeardown: stops only the broker that kafka-global-setup.ts started. */
import type { KafkaGlobal } from './kafka-global-setup';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as KafkaGlobal;
  const kafka = g.__KAFKA_TEST_BROKER__;
  if (kafka === undefined) return;
  delete g.__KAFKA_TEST_BROKER__;
  await kafka.stop();
}
