/**
 * Shared helpers for the fault tests (test/fault): a private Kafka broker the test may kill, the
 * bridge environment, the load generator as a child process, metrics, and the comparison of
 * what was answered OK with what is in Kafka (by event id).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeProcess, Cleanup } from './bridge-process';
import { bridgeEnv, readMetrics } from './bridge-process';
import type { ConsumedMessage, LocalBroker } from './kafka-broker';
import {
  REPO_ROOT,
  consumeAll,
  createKafkaClient,
  findFreePorts,
  startLocalBroker,
} from './kafka-broker';
import type { LoadOptions, LoadSummary } from './load-generator';

export type { LoadOptions, LoadSummary, RequestRecord } from './load-generator';

export const LOAD_GENERATOR = join(__dirname, 'load-generator.ts');

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `intervalMs` until it returns true; throws `what()` after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: () => string,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet (e.g. the admin port is not listening)
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await sleep(intervalMs);
  }
}

/** A private broker on free loopback ports in a fresh temp run dir. */
export interface FaultBroker extends LocalBroker {
  /** Stops the broker (resuming it first if frozen) and deletes its run dir. */
  dispose(): Promise<void>;
  /** Brings the broker back to "running" whatever a test left it in (paused, killed). */
  ensureRunning(): Promise<void>;
}

export async function startFaultBroker(): Promise<FaultBroker> {
  const runDir = mkdtempSync(join(tmpdir(), 'fault-kafka-'));
  const [port, controllerPort] = await findFreePorts(2);
  let broker: LocalBroker;
  try {
    broker = await startLocalBroker({ runDir, port: port!, controllerPort: controllerPort! });
  } catch (error) {
    rmSync(runDir, { recursive: true, force: true });
    throw error;
  }
  const state = (): 'running' | 'paused' | 'stopped' => {
    const pid = broker.pid();
    if (pid === undefined) return 'stopped';
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const at = stat.lastIndexOf(')') + 2;
      return stat.slice(at, at + 1) === 'T' ? 'paused' : 'running';
    } catch {
      return 'stopped'; // exited since pid() looked
    }
  };
  return {
    ...broker,
    async ensureRunning() {
      const now = state();
      if (now === 'paused') await broker.resume();
      else if (now === 'stopped') await broker.start();
    },
    async dispose() {
      try {
        if (state() === 'paused') await broker.resume();
        await broker.stop();
      } finally {
        rmSync(runDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * The hooks a fault test file with a private broker needs: `startFaultBroker` before all tests,
 * after each test its `cleanups` (last pushed first, failures ignored) and then the broker
 * brought back to "running", and the broker disposed after all. Call it once at the top of the
 * file; `broker()` is the running broker inside tests and hooks (it throws before `beforeAll`).
 */
export function useFaultBroker(): { broker: () => FaultBroker; cleanups: Cleanup[] } {
  let started: FaultBroker | undefined;
  const cleanups: Cleanup[] = [];
  beforeAll(async () => {
    started = await startFaultBroker();
  }, 180_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await Promise.resolve(cleanup()).catch(() => undefined);
    }
    await broker().ensureRunning();
  }, 120_000);
  afterAll(async () => {
    await started?.dispose();
  }, 60_000);
  const broker = (): FaultBroker => {
    if (started === undefined) throw new Error('the fault broker is not started yet (beforeAll)');
    return started;
  };
  return { broker, cleanups };
}

/**
 * The Kafka clients (`kafka.client`) the fault tests run the bridge with: each Kafka fault test
 * runs once per client, through KAFKA_CLIENT.
 */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClient = (typeof KAFKA_CLIENTS)[number];

/**
 * Bridge environment for the fault tests: production defaults (kafka.publishTimeoutMs 1000 ms
 * keeps answers under Tencent's 2 s) except where a shorter value makes recovery observable in a
 * test, measured on a 2-core machine:
 * - SPOOL_DRAIN_BACKOFF_MIN_MS/MAX_MS 100/1000 (default 200/10000): the drainer retries at least
 *   once a second while Kafka is away, so it starts draining within ~1 s of Kafka's return
 *   instead of up to 10 s later.
 * - KAFKA_RETRY_RETRIES 2, KAFKA_RETRY_MAX_RETRY_TIME_MS 500 (default 5, 1000): a produce request
 *   to a dead broker is given up after about a second. With the defaults, kafkajs' nested
 *   retries kept such a doomed request alive for more than 5 s (a drain attempt queued behind it
 *   failed with "no Kafka ack within 5000 ms"): the batcher sends one request at a time, so the
 *   drain waits behind it, and a request still retrying when the broker is back may land next
 *   to its spooled copy (a duplicate).
 * Connection and request timeouts stay at their defaults: a killed broker refuses connections at
 * once, and a frozen one is what kafka.requestTimeoutMs (5 s) is for.
 */
export function faultBridgeEnv(
  brokers: string,
  topic: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return bridgeEnv(
    topic,
    {
      KAFKA_RETRY_RETRIES: '2',
      KAFKA_RETRY_MAX_RETRY_TIME_MS: '500',
      SPOOL_DRAIN_BACKOFF_MIN_MS: '100',
      SPOOL_DRAIN_BACKOFF_MAX_MS: '1000',
      LOG_LEVEL: 'info',
      ...extra,
    },
    brokers,
  );
}

/** One metric (0 when absent: prom-client omits labelled counters never incremented). */
export async function metric(bridge: BridgeProcess, name: string): Promise<number> {
  return (await readMetrics(bridge)).get(name) ?? 0;
}

/**
 * Waits until the bridge's producer is connected: the `connected to Kafka` log line (main.ts logs
 * it once producer.connect() resolved) and the gauge. The gauge alone is not enough: it turns 1
 * on kafkajs' CONNECT event, before the idempotent producer got its producer id, and sends made
 * in that gap can fail although Kafka stored them (see docs/fault-tests.md).
 */
export async function waitKafkaConnected(bridge: BridgeProcess, timeoutMs = 30_000) {
  await waitFor(
    async () =>
      bridge.output().includes('"msg":"connected to Kafka"') &&
      (await metric(bridge, 'live_bridge_kafka_connected')) === 1,
    timeoutMs,
    () => `bridge never connected to Kafka:\n${tail(bridge.output())}`,
  );
}

/** Waits until the spool is empty and the drainer drained at least `minDrained` events. */
export async function waitSpoolDrained(bridge: BridgeProcess, minDrained = 0, timeoutMs = 60_000) {
  let last = new Map<string, number>();
  await waitFor(
    async () => {
      last = await readMetrics(bridge);
      return (
        last.get('live_bridge_spool_depth') === 0 &&
        (last.get('live_bridge_spool_drained_total') ?? 0) >= minDrained
      );
    },
    timeoutMs,
    () =>
      `spool not drained: depth ${last.get('live_bridge_spool_depth')}, drained ` +
      `${last.get('live_bridge_spool_drained_total')}\n${tail(bridge.output())}`,
    200,
  );
}

/**
 * Milliseconds from `since` (e.g. the broker accepting connections again) until the drainer's
 * counter `live_bridge_spool_drained_total` exceeds `drainedBefore` (read before the restart).
 */
export async function msUntilDrainStarts(
  bridge: BridgeProcess,
  since: number,
  drainedBefore: number,
  timeoutMs = 60_000,
): Promise<number> {
  await waitFor(
    async () => (await metric(bridge, 'live_bridge_spool_drained_total')) > drainedBefore,
    timeoutMs,
    () => `the drainer published nothing within ${timeoutMs} ms:\n${tail(bridge.output())}`,
    50,
  );
  return Date.now() - since;
}

export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

export interface LoadRun {
  child: ChildProcess;
  /** Resolves with the summary once the generator exited. */
  done: Promise<LoadSummary>;
  /** SIGTERM: stop sending, wait for in-flight answers (graceMs), write the summary. */
  stop(): void;
  /** stderr of the generator (progress lines, errors). */
  output(): string;
}

/**
 * Starts test/helpers/load-generator.ts as its own process (node --import tsx) so that its timers
 * and sockets are not slowed by the test process (kafkajs consumers, jest).
 */
export function startLoad(options: Omit<LoadOptions, 'out'>): LoadRun {
  const dir = mkdtempSync(join(tmpdir(), 'fault-load-'));
  const out = join(dir, 'summary.json');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', LOAD_GENERATOR, JSON.stringify({ ...options, out })],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<LoadSummary>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      try {
        if (code !== 0) throw new Error(`exit ${code ?? signal}`);
        resolve(JSON.parse(readFileSync(out, 'utf8')) as LoadSummary);
      } catch (error) {
        reject(
          new Error(
            `load generator failed (${error instanceof Error ? error.message : String(error)}):\n${tail(output)}`,
          ),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
  return {
    child,
    done,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
    output: () => output,
  };
}

/**
 * Every record of `topic`: reads the high watermarks first, then consumes from the beginning
 * until that many records arrived. Offsets are dense (no transactions), so nothing is missed and
 * nothing is waited for in vain; records produced after the watermarks were read may be
 * included or not.
 */
export async function readTopic(
  brokers: string,
  topic: string,
  timeoutMs = 60_000,
): Promise<ConsumedMessage[]> {
  const admin = createKafkaClient(brokers, 'fault-read').admin();
  await admin.connect();
  let total = 0;
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      total += Number(BigInt(p.high) - BigInt(p.low));
    }
  } finally {
    await admin.disconnect();
  }
  return consumeAll(brokers, topic, { expected: total, timeoutMs });
}

export interface Comparison {
  sent: number;
  okd: number;
  /** OK'd ids found in Kafka. */
  found: number;
  /** OK'd ids not in Kafka: each one is a lost event. */
  missing: string[];
  records: number;
  /** Records beyond the first of their event id. */
  duplicates: number;
  /** Ids in Kafka that were never answered OK (e.g. the answer was lost); allowed. */
  notOkd: number;
  maxAnswerMs: number;
}

/** Compares by event id (ce_id header) what was answered OK with what is in Kafka. */
export function compareById(
  summaries: LoadSummary | readonly LoadSummary[],
  messages: readonly ConsumedMessage[],
): Comparison {
  const list: readonly LoadSummary[] = 'okIds' in summaries ? [summaries] : summaries;
  const okIds = new Set(list.flatMap((s) => s.okIds));
  const counts = new Map<string, number>();
  for (const m of messages) {
    const id = m.headers.ce_id ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const missing = [...okIds].filter((id) => !counts.has(id));
  let duplicates = 0;
  for (const n of counts.values()) duplicates += n - 1;
  return {
    sent: list.reduce((a, s) => a + s.sent, 0),
    okd: okIds.size,
    found: okIds.size - missing.length,
    missing,
    records: messages.length,
    duplicates,
    notOkd: [...counts.keys()].filter((id) => !okIds.has(id)).length,
    maxAnswerMs: Math.max(0, ...list.map((s) => s.maxLatencyMs)),
  };
}

/**
 * The one summary line per test. With FAULT_RESULTS_FILE set, the line is also appended there as
 * JSON (used to fill the results table of docs/fault-tests.md).
 */
export function logResult(test: string, c: Comparison, extra: Record<string, unknown> = {}) {
  const line =
    `[fault] ${test}: sent ${c.sent}, OK'd ${c.okd}, found in Kafka ${c.found}, ` +
    `duplicates in Kafka ${c.duplicates}, max answer ${c.maxAnswerMs} ms` +
    Object.entries(extra)
      .map(([k, v]) => `, ${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join('');
  console.log(line);
  const file = process.env.FAULT_RESULTS_FILE;
  if (file) {
    const { missing, ...numbers } = c;
    appendFileSync(
      file,
      JSON.stringify({ test, ...numbers, missing: missing.length, ...extra, at: new Date() }) +
        '\n',
    );
  }
}

/** Port of a http://127.0.0.1:<port> URL (to restart a bridge on the same ports). */
export function portOf(url: string): string {
  return new URL(url).port;
}
