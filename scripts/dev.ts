/**
 * `npm run dev`: a local Kafka (the test harness: KAFKA_BROKERS, else Docker, else a KRaft broker
 * from Maven Central jars), the bridge with a sample app id and token and topic creation on, one
 * signed sample callback, and that callback's own Kafka record. Keeps running. Ctrl-C or SIGTERM
 * stops everything it started and exits 0; a failure anywhere prints one line, stops everything
 * it started and exits 1 (issue 15).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { waitForLeaders } from '../src/kafka/topics';
import { computeSign } from '../src/tencent/signature';
import type { ConsumedMessage, ResolvedKafka } from '../test/helpers/kafka-broker';
import { createKafkaClient, resolveKafka, waitForRecord } from '../test/helpers/kafka-broker';

const ROOT = join(__dirname, '..');
const APP_ID = process.env.TENCENT_SDK_APP_ID ?? '1400000000';
const TOKEN = process.env.TENCENT_CALLBACK_TOKEN ?? 'dev-callback-token';
const PORT = process.env.PORT ?? '8080';
const ADMIN_PORT = process.env.ADMIN_PORT ?? '9464';
const TOPIC = process.env.KAFKA_TOPIC ?? 'tencent-live-events';
const SAMPLE = join(ROOT, 'fixtures', 'commands', 'Live.CallbackAfterCreateRoom.json');
const PATH = '/webhooks/tencent/live';

/** Every wait is bounded: a first start on a busy 2-core machine takes seconds, not minutes. */
const BROKER_READY_MS = 60_000;
const BRIDGE_READY_MS = 60_000;
const TOPIC_LEADERS_MS = 30_000;
const ANSWER_MS = 10_000;
/** A spooled sample reaches Kafka when the drainer gets to it (its backoff tops out at 10 s). */
const RECORD_MS = 60_000;
/** Longer than the bridge's own shutdown grace (20 s by default), then SIGKILL. */
const BRIDGE_STOP_MS = 25_000;
/**
 * One Ctrl-C arrives here twice within milliseconds: from the terminal, which signals the whole
 * foreground process group, and forwarded by npm. Signals this close together count as one.
 */
const SAME_SIGNAL_MS = 1000;

/** A failure to report as one line (the cause is in the line, or in the bridge's log above). */
class DevError extends Error {}
/** Thrown where a step sees that a stop has begun: nothing to report. */
class Stopping extends Error {}

interface Bridge {
  child: ChildProcess;
  exited: Promise<void>;
  running(): boolean;
}

/** What this run started, so that every way out can stop exactly that. */
const started: { kafka?: Promise<ResolvedKafka>; bridge?: Bridge } = {};
let stopping: Promise<void> | undefined;
let lastSignalAt = 0;
let killedBridge = false;

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() ?? '';
}

/** Stops what this run started (the bridge, then Kafka), then exits with `code`. */
function stopEverything(code: 0 | 1): Promise<void> {
  stopping ??= (async () => {
    let exitCode: number = code;
    const bridge = started.bridge;
    if (bridge?.running()) {
      bridge.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        console.error(`the bridge did not stop within ${BRIDGE_STOP_MS} ms: SIGKILL`);
        bridge.child.kill('SIGKILL');
      }, BRIDGE_STOP_MS);
      await within(bridge.exited, BRIDGE_STOP_MS + 5000, 'not even after SIGKILL').catch(
        (error: unknown) => {
          console.error(
            `npm run dev: the bridge (pid ${bridge.child.pid}) did not exit: ${firstLine(error)}`,
          );
          exitCode = 1;
        },
      );
      clearTimeout(timer);
    }
    if (started.kafka !== undefined) {
      // If its start is still running, wait for it: an interrupted start stops its own broker,
      // a finished one hands back what to stop.
      const kafka = await started.kafka.catch(() => undefined);
      try {
        await kafka?.stop();
      } catch (error) {
        console.error(`npm run dev: could not stop Kafka: ${firstLine(error)}`);
        exitCode = 1;
      }
    }
    if (bridge !== undefined || started.kafka !== undefined) console.log('stopped');
    process.exit(exitCode);
  })();
  return stopping;
}

function fail(error: unknown): void {
  // Once stopping, steps still waiting fail as their processes go away: that is expected.
  if (stopping !== undefined || error instanceof Stopping) return;
  const line = error instanceof DevError ? error.message : `unexpected error: ${firstLine(error)}`;
  console.error(`\nnpm run dev: ${line}`);
  void stopEverything(1);
}

function onSignal(signal: NodeJS.Signals): void {
  const now = Date.now();
  if (now - lastSignalAt < SAME_SIGNAL_MS) return;
  lastSignalAt = now;
  const bridge = started.bridge;
  if (stopping === undefined) {
    const again = bridge === undefined ? '' : ' (again: kill the bridge at once)';
    console.log(`\n${signal}: stopping what npm run dev started${again}`);
    void stopEverything(0);
  } else if (!killedBridge && bridge?.running()) {
    killedBridge = true;
    console.log(`${signal} again: killing the bridge (SIGKILL); Kafka still stops cleanly`);
    bridge.child.kill('SIGKILL');
  } else {
    console.log(`${signal} again: still stopping Kafka (SIGKILL after 30 s)`);
  }
}

/** `promise`, or a rejection with `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws when a stop has begun, so no step starts anything after it. */
function checkNotStopping(): void {
  if (stopping !== undefined) throw new Stopping();
}

function signedQuery(): string {
  const requestTime = String(Math.floor(Date.now() / 1000));
  return new URLSearchParams({
    SdkAppid: APP_ID,
    CallbackCommand: 'Live.CallbackAfterCreateRoom',
    contenttype: 'json',
    ClientIP: '127.0.0.1',
    OptPlatform: 'RESTAPI',
    Sign: computeSign(TOKEN, requestTime),
    RequestTime: requestTime,
  }).toString();
}

/** The last `kafka-local: …` line of a failed local start says why; else the first line. */
function kafkaStartProblem(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const own = text
    .split('\n')
    .filter((line) => line.startsWith('kafka-local: '))
    .at(-1);
  return own === undefined ? firstLine(error) : own.slice('kafka-local: '.length).replace(/:$/, '');
}

/**
 * A broker that has just started answers the first InitProducerId with COORDINATOR_LOAD_IN_PROGRESS
 * until it holds a block of producer ids. kafkajs retries, and the bridge logs every retry as a
 * kafkajs error, which a newcomer reads as a failure; one idempotent producer here takes that wait
 * first, quietly (this client logs nothing). It also proves the broker answers.
 */
async function warmUp(kafka: Kafka, brokers: string): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await within(producer.connect(), BROKER_READY_MS, `no answer in ${BROKER_READY_MS} ms`);
  } catch (error) {
    throw new DevError(`Kafka at ${brokers} did not answer: ${firstLine(error)}`);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

function startBridge(brokers: string): Bridge {
  checkNotStopping();
  // Its own process group: a terminal's Ctrl-C reaches this script, which stops the bridge once
  // (SIGTERM); the bridge would take a second signal as "exit now".
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      TENCENT_SDK_APP_ID: APP_ID,
      TENCENT_CALLBACK_TOKEN: TOKEN,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: TOPIC,
      // A new broker has no topics yet; the bridge creates them only when told (in production
      // they are created on purpose, with their own settings).
      KAFKA_CREATE_TOPICS_ENABLED: 'true',
      PORT,
      ADMIN_PORT,
      SERVER_HOST: '127.0.0.1',
      ADMIN_HOST: '127.0.0.1',
    },
  });
  let running = true;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      running = false;
      resolve();
      fail(new DevError(`the bridge exited (${signal ?? `code ${code}`}); its log is above`));
    }),
  );
  child.once('error', (error) =>
    fail(new DevError(`could not start the bridge: ${error.message}`)),
  );
  return { child, exited, running: () => running };
}

/** Until /readyz says the bridge accepts callbacks and is connected to Kafka. */
async function waitUntilConnected(bridge: Bridge): Promise<void> {
  const url = `http://127.0.0.1:${ADMIN_PORT}/readyz`;
  const deadline = Date.now() + BRIDGE_READY_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    checkNotStopping();
    if (!bridge.running()) throw new Stopping(); // reported by its exit handler
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = (await response.json()) as { checks?: { kafka?: boolean } };
      if (response.status === 200 && body.checks?.kafka === true) return;
      last = `HTTP ${response.status} ${JSON.stringify(body)}`;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new DevError(`the bridge was not ready within ${BRIDGE_READY_MS} ms (${url}: ${last})`);
}

/**
 * Where each partition of the topic ends before the sample is sent. The sample's event id is
 * deterministic, so a reused broker may hold the same id from an earlier run: the record is looked
 * for from here on.
 */
async function topicEnds(kafka: Kafka): Promise<Map<number, string>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    // The bridge created the topic before it listened; leaders are waited for all the same
    // (a broker named in KAFKA_BROKERS may be slower to elect them).
    await waitForLeaders(admin, [TOPIC], TOPIC_LEADERS_MS);
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  } catch (error) {
    throw new DevError(`topic ${TOPIC} is not ready: ${firstLine(error)}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function sendSample(): Promise<string> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`http://127.0.0.1:${PORT}${PATH}?${signedQuery()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync(SAMPLE),
      signal: AbortSignal.timeout(ANSWER_MS),
    });
    text = await response.text();
  } catch (error) {
    throw new DevError(`could not send the sample callback: ${firstLine(error)}`);
  }
  console.log(`\nsample callback → HTTP ${response.status} ${text}`);
  const eventId = response.headers.get('x-event-id');
  if (response.status !== 200 || eventId === null) {
    throw new DevError(`the sample callback was refused (HTTP ${response.status}); see above`);
  }
  console.log(`x-event-id: ${eventId}`);
  return eventId;
}

async function readRecord(
  brokers: string,
  eventId: string,
  from: Map<number, string>,
): Promise<ConsumedMessage> {
  try {
    return await waitForRecord(brokers, TOPIC, {
      matches: (message) => message.headers.ce_id === eventId,
      from,
      timeoutMs: RECORD_MS,
      clientId: 'dev',
    });
  } catch (error) {
    throw new DevError(
      `the sample's record (ce_id ${eventId}) was not found on ${TOPIC}: ${firstLine(error)}`,
    );
  }
}

/** A port taken by something else: say so now, before Kafka starts and the bridge fails on it. */
async function checkPortFree(name: string, port: string): Promise<void> {
  const server = createServer();
  const problem = await new Promise<string | undefined>((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen(Number(port), '127.0.0.1', () => resolve(undefined));
  });
  if (problem === undefined) {
    await new Promise((resolve) => server.close(resolve));
    return;
  }
  throw new DevError(`127.0.0.1:${port} is not free (${problem}): set ${name} to a free port`);
}

async function main(): Promise<void> {
  await checkPortFree('PORT', PORT);
  await checkPortFree('ADMIN_PORT', ADMIN_PORT);
  console.log('starting Kafka …');
  started.kafka = resolveKafka();
  const kafka = await started.kafka.catch((error: unknown) => {
    checkNotStopping();
    throw new DevError(`Kafka did not start: ${kafkaStartProblem(error)}`);
  });
  checkNotStopping();
  console.log(`Kafka at ${kafka.brokers} (${kafka.source})`);
  const client = createKafkaClient(kafka.brokers, 'dev');
  await warmUp(client, kafka.brokers);

  const bridge = startBridge(kafka.brokers);
  started.bridge = bridge;
  await waitUntilConnected(bridge);
  const from = await topicEnds(client);
  checkNotStopping();
  const eventId = await sendSample();
  const record = await readRecord(kafka.brokers, eventId, from);
  checkNotStopping();

  console.log(
    `\nKafka record on ${TOPIC} (partition ${record.partition}, offset ${record.offset}):`,
  );
  console.log(
    JSON.stringify(
      {
        key: record.key,
        headers: record.headers,
        value: JSON.parse(record.value.toString()) as unknown,
      },
      null,
      2,
    ),
  );
  console.log(`
The bridge keeps running (pid ${bridge.child.pid}). Send a signed callback (the signature is valid
for 60 s; this same sample is answered OK as a re-delivery, without a second record: change its
RoomId or CreateTime for a new event):

  T=$(date +%s); S=$(printf '%s' "${TOKEN}$T" | sha256sum | cut -d' ' -f1); \\
  curl -sS -i -X POST -H 'content-type: application/json' --data-binary @fixtures/commands/Live.CallbackAfterCreateRoom.json \\
    "http://127.0.0.1:${PORT}${PATH}?SdkAppid=${APP_ID}&CallbackCommand=Live.CallbackAfterCreateRoom&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&Sign=$S&RequestTime=$T"

Metrics: curl -s http://127.0.0.1:${ADMIN_PORT}/metrics | grep live_bridge
Read the topic: kcat -b ${kafka.brokers} -C -t ${TOPIC} -o beginning -J
Ctrl-C stops the bridge${kafka.source === 'env' ? ' (Kafka at KAFKA_BROKERS is left alone)' : ' and the Kafka broker it started'}.
`);
}

// Installed before anything starts: a signal or an error at any point stops what has started.
// kafkajs 2.2.4 sets one negative timer per process on Node ≥ 23 (harmless, docs/kafka-local.md):
// that warning is dropped, any other is printed as one line.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning') {
    console.error(`warning: ${warning.name}: ${warning.message}`);
  }
});
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
main().catch(fail);
