/**
 * jest globalTeardown: deletes the run's temporary folder and stops only the broker that
 * kafka-global-setup.ts started.
 */
import { rmSync } from 'node:fs';
import type { KafkaGlobal } from './kafka-global-setup';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as KafkaGlobal;
  const tmp = process.env.BRIDGE_TEST_TMP; // set by kafka-global-setup.ts, same process
  if (tmp !== undefined) {
    rmSync(tmp, { recursive: true, force: true });
    delete process.env.BRIDGE_TEST_TMP;
  }
  const kafka = g.__KAFKA_TEST_BROKER__;
  if (kafka === undefined) return;
  delete g.__KAFKA_TEST_BROKER__;
  await kafka.stop();
}
