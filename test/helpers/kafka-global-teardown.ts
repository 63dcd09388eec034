/**
 * jest globalTeardown: deletes the run's temporary folder and stops only the broker that
 * kafka-global-setup.ts started.
 */
import { rmSync } from 'node:fs';
import type { KafkaGlobal } from './kafka-global-setup';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as KafkaGlobal;
  if (g.__BRIDGE_TEST_TMP__ !== undefined) {
    rmSync(g.__BRIDGE_TEST_TMP__, { recursive: true, force: true });
    delete g.__BRIDGE_TEST_TMP__;
  }
  const kafka = g.__KAFKA_TEST_BROKER__;
  if (kafka === undefined) return;
  delete g.__KAFKA_TEST_BROKER__;
  await kafka.stop();
}
