/**
 * jest globalSetup: finds or starts the Kafka broker shared by all test files (see resolveKafka)
 * and hands it to the workers through process.env.KAFKA_BROKERS. Unit tests need no broker:
 * when only the `unit` project is selected (`npm run test:unit`), nothing is started.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveKafka } from './kafka-broker';
import type { ResolvedKafka } from './kafka-broker';

/** Shared with kafka-global-teardown.ts (same process, same globalThis). */
export type KafkaGlobal = typeof globalThis & { __KAFKA_TEST_BROKER__?: ResolvedKafka };

/** Projects whose tests run without a broker. */
const BROKERLESS = new Set(['unit']);

/**
 * The projects named by `--selectProjects` on jest's command line (jest does not pass them to a
 * global setup), or undefined when all run.
 */
export function selectedProjects(argv: readonly string[]): string[] | undefined {
  const at = argv.findIndex(
    (arg) => arg === '--selectProjects' || arg.startsWith('--selectProjects='),
  );
  if (at < 0) return undefined;
  const inline = argv[at]!.split('=')[1];
  if (inline !== undefined) return inline.split(',');
  const names: string[] = [];
  for (const arg of argv.slice(at + 1)) {
    if (arg.startsWith('-')) break;
    names.push(arg);
  }
  return names;
}

export default async function globalSetup(): Promise<void> {
  // One folder for this run's throw-away files (testTempDir), deleted by the teardown; the
  // workers inherit the variable.
  process.env.BRIDGE_TEST_TMP = mkdtempSync(join(tmpdir(), 'bridge-tests-'));
  const selected = selectedProjects(process.argv);
  if (selected && selected.length > 0 && selected.every((name) => BROKERLESS.has(name))) return;
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
