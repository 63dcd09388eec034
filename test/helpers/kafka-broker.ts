/**
 * A real Kafka broker for tests: a private one driven by scripts/kafka-local.sh (Maven Central
 * jars, no Docker), or whatever resolveKafka() finds (KAFKA_BROKERS, a Docker engine, or the
 * local script). Plus small kafkajs helpers: createTopic, consumeAll, waitForRecord, waitForBroker.
 * See docs/kafka-local.md.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer, IHeaders, KafkaMessage } from 'kafkajs';
import { waitForLeaders } from '../../src/kafka/topics';

// kafkajs prints a partitioner notice on every producer unless told not to.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const KAFKA_LOCAL_SCRIPT = path.join(REPO_ROOT, 'scripts', 'kafka-local.sh');
/** Image for the Docker path: Confluent Platform 8.1 = Apache Kafka 4.1, KRaft. */
export const DEFAULT_KAFKA_IMAGE = 'confluentinc/cp-kafka:8.1.0';

/** A broker started by scripts/kafka-local.sh in its own run dir (data, logs, pid). */
export type LocalBroker = {
  /** bootstrap servers, "127.0.0.1:<port>" */
  brokers: string;
  /** absolute run dir */
  runDir: string;
  /** pid of the running (or paused) broker JVM, undefined when it is not running */
  pid(): number | undefined;
  /** SIGTERM (controlled shutdown), SIGKILL after 30 s */
  stop(): Promise<void>;
  /** SIGKILL now; data is kept, start() recovers it */
  kill(): Promise<void>;
  /** start again (keeps data); resolves when the broker accepts connections */
  start(): Promise<void>;
  /** SIGSTOP */
  pause(): Promise<void>;
  /** SIGCONT */
  resume(): Promise<void>;
  /** stop and delete data and logs */
  reset(): Promise<void>;
};

export type LocalBrokerOptions = {
  runDir: string;
  port: number;
  controllerPort: number;
  /** Apache Kafka version; default: $KAFKA_VERSION, else the script's default (4.4.0) */
  version?: string;
  /**
   * Extra listeners (scripts/kafka-local.sh): an SSL one, a SASL_SSL one (PLAIN, SCRAM-SHA-256,
   * SCRAM-SHA-512) with `saslUsers` ("name:password ..."). Clients trust `<runDir>/tls/ca.crt`.
   */
  sslPort?: number;
  saslSslPort?: number;
  saslUsers?: string;
};

export type ResolvedKafka = {
  brokers: string;
  source: 'env' | 'testcontainers' | 'local';
  /** stops what resolveKafka started; a no-op for 'env' or an already running local broker */
  stop(): Promise<void>;
};

export type ConsumedMessage = {
  /** the key as UTF-8, null when the record has no key */
  key: string | null;
  /** the value; a tombstone (null value) is returned as an empty Buffer */
  value: Buffer;
  headers: Record<string, string>;
  partition: number;
  offset: string;
};

type ScriptCommand = 'start' | 'stop' | 'kill' | 'pause' | 'resume' | 'reset' | 'release';

/** Runs scripts/kafka-local.sh (execFile, no shell); rejects with the script's output on failure. */
function runScript(command: ScriptCommand, env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<string>((resolve, reject) => {
    execFile(
      'bash',
      [KAFKA_LOCAL_SCRIPT, command],
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stdout}${stderr}`.trim();
          reject(
            new Error(
              `scripts/kafka-local.sh ${command} failed (${error.message.split('\n')[0] ?? ''})` +
                (output ? `:\n${output}` : ''),
            ),
          );
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/** The pid in <runDir>/kafka.pid if that process is alive and is the broker of this run dir. */
function readPid(runDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path.join(runDir, 'kafka.pid'), 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!args.includes(`-Dkafka.local.runDir=${runDir}`)) return undefined;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X' ? undefined : pid;
  } catch {
    return undefined;
  }
}

/**
 * Starts (or reuses, if it already runs in that run dir) a broker with scripts/kafka-local.sh and
 * returns a handle to stop / kill / restart / pause it. Each run dir is one independent broker.
 */
export async function startLocalBroker(opts: LocalBrokerOptions): Promise<LocalBroker> {
  const runDir = path.resolve(opts.runDir);
  await mkdir(runDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_RUN_DIR: runDir,
    KAFKA_PORT: String(opts.port),
    KAFKA_CONTROLLER_PORT: String(opts.controllerPort),
  };
  if (opts.version !== undefined) env.KAFKA_VERSION = opts.version;
  if (opts.sslPort !== undefined) env.KAFKA_SSL_PORT = String(opts.sslPort);
  if (opts.saslSslPort !== undefined) env.KAFKA_SASL_SSL_PORT = String(opts.saslSslPort);
  if (opts.saslUsers !== undefined) env.KAFKA_SASL_USERS = opts.saslUsers;
  // start may have to fetch the jars first (cold: ~10 s) and waits up to 120 s for the broker
  const run = async (command: ScriptCommand, timeoutMs = 60_000): Promise<void> => {
    await runScript(command, env, timeoutMs);
  };
  const broker: LocalBroker = {
    brokers: `127.0.0.1:${opts.port}`,
    runDir,
    pid: () => readPid(runDir),
    stop: () => run('stop'),
    kill: () => run('kill'),
    start: () => run('start', 300_000),
    pause: () => run('pause'),
    resume: () => run('resume'),
    reset: () => run('reset'),
  };
  await broker.start();
  return broker;
}

/** kafkajs client with logging off and short retries, for tests. */
export function createKafkaClient(brokers: string, clientId = 'test'): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers.split(',').map((b) => b.trim()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what())), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves once the cluster answers a metadata request; rejects after timeoutMs. */
export async function waitForBroker(brokers: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const admin = new Kafka({
      clientId: 'wait-for-broker',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      requestTimeout: 3000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(
        `Kafka at ${brokers} did not answer within ${timeoutMs} ms: ${errorMessage(lastError)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, left)));
  }
}

/**
 * Creates a topic (replication factor 1) and waits for its partition leaders. With KRaft, kafkajs
 * consumers must not rely on auto-creation, so tests pre-create their topics with this.
 */
export async function createTopic(
  brokers: string,
  topic: string,
  partitions = 1,
  configEntries: { name: string; value: string }[] = [],
): Promise<void> {
  const admin: Admin = createKafkaClient(brokers, 'create-topic').admin();
  await admin.connect();
  try {
    // Without kafkajs' own wait for leaders, which gives up while KRaft metadata propagates
    // (seen on a loaded 2-core machine, and on a local broker that has collected hundreds of
    // topics): the bridge's own wait, as at start-up.
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }],
      timeout: 15_000,
      waitForLeaders: false,
    });
    await waitForLeaders(admin, [topic], 15_000, partitions);
  } finally {
    await admin.disconnect();
  }
}

function headersToRecord(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}

function consumed(partition: number, message: KafkaMessage): ConsumedMessage {
  return {
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value ?? Buffer.alloc(0),
    headers: headersToRecord(message.headers),
    partition,
    offset: message.offset,
  };
}

function byPartitionThenOffset(a: ConsumedMessage, b: ConsumedMessage): number {
  if (a.partition !== b.partition) return a.partition - b.partition;
  const diff = BigInt(a.offset) - BigInt(b.offset);
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

/**
 * Reads `topic` from the beginning (fresh consumer group) until at least `expected` messages have
 * arrived, and returns them sorted by partition and offset. Rejects after `timeoutMs` with the
 * count read so far.
 */
export async function consumeAll(
  brokers: string,
  topic: string,
  opts: { expected: number; timeoutMs: number },
): Promise<ConsumedMessage[]> {
  const messages: ConsumedMessage[] = [];
  const groupId = `consume-all-${topic}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const consumer: Consumer = createKafkaClient(brokers, 'consume-all').consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
  });
  let crash: unknown;
  consumer.on(consumer.events.CRASH, (event) => {
    crash = event.payload.error;
  });
  let done: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => {
    done = resolve;
  });
  if (opts.expected <= 0) done();
  const read = async (): Promise<void> => {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      // eslint-disable-next-line @typescript-eslint/require-await
      eachMessage: async ({ partition, message }) => {
        messages.push(consumed(partition, message));
        if (messages.length >= opts.expected) done();
      },
    });
    await enough;
  };
  try {
    await withTimeout(
      read(),
      opts.timeoutMs,
      () =>
        `consumeAll(${topic}): read ${messages.length} of ${opts.expected} messages in ${opts.timeoutMs} ms` +
        (crash === undefined ? '' : ` (consumer crashed: ${errorMessage(crash)})`),
    );
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return [...messages].sort(byPartitionThenOffset);
}

/**
 * Reads `topic` with a fresh consumer group until a record `matches`, and returns it: the way to
 * find one record by its content (e.g. its `ce_id` header) rather than by position. Partitions are
 * read from `from` (partition → offset, e.g. their ends before the record was sent), else from
 * the beginning. A new broker may still be creating the topic's metadata or the group's
 * coordinator: retriable errors are retried until `timeoutMs`; then, or when the consumer crashes
 * for good, it rejects with one line.
 */
export async function waitForRecord(
  brokers: string,
  topic: string,
  opts: {
    matches: (message: ConsumedMessage) => boolean;
    from?: ReadonlyMap<number, string>;
    timeoutMs: number;
    clientId?: string;
  },
): Promise<ConsumedMessage> {
  const deadline = Date.now() + opts.timeoutMs;
  const groupId = `wait-for-record-${topic}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const consumer: Consumer = createKafkaClient(
    brokers,
    opts.clientId ?? 'wait-for-record',
  ).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 250 });
  let lastError: unknown;
  let found: (message: ConsumedMessage) => void = () => undefined;
  let crashed: (error: unknown) => void = () => undefined;
  const outcome = new Promise<ConsumedMessage>((resolve, reject) => {
    found = resolve;
    crashed = reject;
  });
  outcome.catch(() => undefined); // a crash before read() returns it is not an unhandled rejection
  consumer.on(consumer.events.CRASH, (event) => {
    lastError = event.payload.error;
    if (!event.payload.restart) crashed(event.payload.error);
  });
  const read = async (): Promise<ConsumedMessage> => {
    await consumer.connect();
    // subscribe fetches the topic's metadata once and does not retry UNKNOWN_TOPIC_OR_PARTITION
    for (;;) {
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        break;
      } catch (error) {
        lastError = error;
        if (!isRetriable(error) || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    await consumer.run({
      // eslint-disable-next-line @typescript-eslint/require-await
      eachMessage: async ({ partition, message }) => {
        const start = opts.from?.get(partition);
        if (start !== undefined && BigInt(message.offset) < BigInt(start)) return;
        const candidate = consumed(partition, message);
        if (opts.matches(candidate)) found(candidate);
      },
    });
    return outcome;
  };
  try {
    return await withTimeout(
      read(),
      Math.max(0, deadline - Date.now()),
      () =>
        `no matching record on ${topic} within ${opts.timeoutMs} ms` +
        (lastError === undefined ? '' : ` (last Kafka error: ${errorMessage(lastError)})`),
    );
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

function isRetriable(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true
  );
}

/** `count` TCP ports on 127.0.0.1 that are free right now (the OS picks them). */
export async function findFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function dockerAnswers(timeoutMs: number): Promise<{ ok: boolean; reason: string }> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await withTimeout(getContainerRuntimeClient(), timeoutMs, () => `no answer in ${timeoutMs} ms`);
    return { ok: true, reason: '' };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`${name} must be a TCP port, got '${raw}'`);
  }
  return port;
}

/**
 * Finds a broker for the test run, in this order:
 *  1. `KAFKA_BROKERS` (nothing is started);
 *  2. a Docker engine (unless `KAFKA_NO_DOCKER=1`): `KAFKA_IMAGE` or cp-kafka 8.1 via testcontainers;
 *  3. scripts/kafka-local.sh on 127.0.0.1:9092/9093 with run dir <repo>/.kafka (KAFKA_PORT,
 *     KAFKA_CONTROLLER_PORT, KAFKA_RUN_DIR and KAFKA_VERSION override these, as for the script).
 * Throws if none works: Kafka tests must fail, never skip, without a broker.
 */
export async function resolveKafka(): Promise<ResolvedKafka> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    return { brokers: fromEnv, source: 'env', stop: () => Promise.resolve() };
  }

  let dockerReason = 'skipped (KAFKA_NO_DOCKER=1)';
  if (process.env.KAFKA_NO_DOCKER !== '1') {
    const docker = await dockerAnswers(5000);
    dockerReason = docker.reason;
    if (docker.ok) {
      const { KafkaContainer } = await import('@testcontainers/kafka');
      const container = await new KafkaContainer(
        process.env.KAFKA_IMAGE ?? DEFAULT_KAFKA_IMAGE,
      ).start();
      return {
        brokers: `${container.getHost()}:${container.getMappedPort(9093)}`,
        source: 'testcontainers',
        stop: async () => {
          await container.stop();
        },
      };
    }
  }

  // the same env parameters as scripts/kafka-local.sh (KAFKA_VERSION is passed through)
  const runDir = path.resolve(REPO_ROOT, process.env.KAFKA_RUN_DIR ?? '.kafka');
  const port = portFromEnv('KAFKA_PORT', 9092);
  const controllerPort = portFromEnv('KAFKA_CONTROLLER_PORT', 9093);
  // Several test runs (other engineers, same checkout) may share this broker: each holds a lease,
  // and `release` stops the broker only when the last holder leaves and a holder had started it
  // (never one started by hand).
  const lease = `jest-${process.pid}-${Date.now()}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_RUN_DIR: runDir,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_LEASE: lease,
    KAFKA_LEASE_PID: String(process.pid),
  };
  try {
    await mkdir(runDir, { recursive: true });
    await runScript('start', env, 300_000);
    return {
      brokers: `127.0.0.1:${port}`,
      source: 'local',
      stop: async () => {
        await runScript('release', env, 60_000);
      },
    };
  } catch (err) {
    throw new Error(
      'No Kafka broker for the tests: KAFKA_BROKERS is not set, no Docker engine answered ' +
        `(${dockerReason}), and the local broker (scripts/kafka-local.sh, needs Java 17 and ` +
        `Maven) did not start: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
