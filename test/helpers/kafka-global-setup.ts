/**
 * jest globalSetup: finds or starts the Kafka broker shared by all test files (see resolveKafka)
 * and hands it to the workers through process.env.KAFKA_BROKERS. Unit tests need no broker:
 * when only the `unit` project is selected (`npm run test:unit`), or only files under
 * `test/unit/` are named (`npx jest test/unit/time.test.ts`), nothing is started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import type { Config } from '@jest/types';
import { resolveKafka } from './kafka-broker';
import type { ResolvedKafka } from './kafka-broker';

/** Shared with kafka-global-teardown.ts (same process, same globalThis). */
export type KafkaGlobal = typeof globalThis & { __KAFKA_TEST_BROKER__?: ResolvedKafka };

/** Projects whose tests run without a broker. */
const BROKERLESS = new Set(['unit']);

/** The projects jest.config.js defines, by `displayName`. */
const PROJECTS = new Set<string>(
  (
    createRequire(__filename)('../../jest.config.js') as { projects: { displayName: string }[] }
  ).projects.map((project) => project.displayName),
);

/** The folder of the tests that need no broker, relative to the repository. */
const UNIT_DIR = 'test/unit/';

/**
 * The projects named by `--selectProjects` on jest's command line (jest does not pass them to a
 * global setup), or undefined when all run. jest reads every word after the flag as a project
 * name, a test path too (`--selectProjects unit test/unit/time.test.ts`), and selects the names
 * that are projects: so do we, and a path does not ask for a broker.
 */
export function selectedProjects(argv: readonly string[]): string[] | undefined {
  const named = namedProjects(argv);
  return named?.filter((name) => PROJECTS.has(name));
}

/**
 * Whether every test path pattern given is a plain path (jest reads patterns as regular
 * expressions: one with `|`, `*` and the like may match anything) of a file or folder under
 * test/unit/.
 */
export function onlyUnitPaths(patterns: readonly string[], rootDir: string): boolean {
  return (
    patterns.length > 0 &&
    patterns.every((pattern) => {
      if (/[|*+?()[\]{}^$\\]/.test(pattern)) return false;
      const path = isAbsolute(pattern) ? relative(rootDir, pattern) : pattern;
      return path.replace(/^\.\//, '').startsWith(UNIT_DIR);
    })
  );
}

function namedProjects(argv: readonly string[]): string[] | undefined {
  // jest merges the flag's values when it is given more than once
  let names: string[] | undefined;
  argv.forEach((arg, at) => {
    if (arg.startsWith('--selectProjects=')) {
      names = [...(names ?? []), ...arg.slice('--selectProjects='.length).split(',')];
    } else if (arg === '--selectProjects') {
      names = names ?? [];
      for (const next of argv.slice(at + 1)) {
        if (next.startsWith('-')) break;
        names.push(next);
      }
    }
  });
  return names;
}

export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  // One folder for this run's throw-away files (testTempDir), deleted by the teardown; the
  // workers inherit the variable.
  process.env.BRIDGE_TEST_TMP = mkdtempSync(join(tmpdir(), 'bridge-tests-'));
  const selected = selectedProjects(process.argv);
  // No known project selected: jest runs nothing, so nothing needs a broker either.
  if (selected && selected.every((name) => BROKERLESS.has(name))) return;
  if (onlyUnitPaths(globalConfig.testPathPatterns.patterns, globalConfig.rootDir)) return;
  const started = Date.now();
  const kafka = await resolveKafka().catch((error: unknown) => {
    // jest runs no teardown after a failed setup
    rmSync(process.env.BRIDGE_TEST_TMP!, { recursive: true, force: true });
    throw error;
  });
  process.env.KAFKA_BROKERS = kafka.brokers;
  (globalThis as KafkaGlobal).__KAFKA_TEST_BROKER__ = kafka;
  if (kafka.source !== 'env') {
    console.log(
      `\nKafka for tests: ${kafka.brokers} (${kafka.source}, ${Date.now() - started} ms)`,
    );
  }
}
