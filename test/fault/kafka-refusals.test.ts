/**
 * Fault tests for issue #15: records Kafka refuses for good never block delivery, missing topics
 * are reported, and answers stay bounded when the broker dies while the machine is busy. The
 * built bridge (dist/src/main.js) as a process against a private broker this file may kill.
 * One file, run in band with the other fault files: they measure answer times.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeProcess } from '../helpers/bridge-process';
import { readMetrics, startBridgeProcessWithCleanup } from '../helpers/bridge-process';
import {
  compareById,
  KAFKA_CLIENTS,
  faultBridgeEnv,
  logResult,
  metric,
  readTopic,
  sleep,
  startLoad,
  tail,
  useFaultBroker,
  waitFor,
  waitKafkaConnected,
  waitSpoolDrained,
} from '../helpers/fault';
import { createKafkaClient, createTopic } from '../helpers/kafka-broker';
import { callbackUrl, createRoomBody } from '../helpers/tencent';
import { createSqliteSpool } from '../../src/spool';

const { broker, cleanups } = useFaultBroker();

const name = (prefix: string): string => `refusal-${prefix}-${randomUUID().slice(0, 8)}`;

function startBridge(env: Record<string, string>): Promise<BridgeProcess> {
  return startBridgeProcessWithCleanup(cleanups, env, { readyTimeoutMs: 30_000 });
}

/** Posts one signed create-room callback; resolves with the status and the event id. */
async function send(
  bridge: BridgeProcess,
  roomId: string,
  room: Record<string, unknown> = {},
): Promise<{ status: number; eventId: string | null }> {
  const response = await fetch(`${bridge.webhook}${callbackUrl()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(createRoomBody(roomId, { room })),
  });
  await response.arrayBuffer();
  return { status: response.status, eventId: response.headers.get('x-event-id') };
}

/** Posts `count` create-room callbacks (room-0, room-1 …), expects 200 for each; their event ids. */
async function sendRooms(bridge: BridgeProcess, count: number): Promise<(string | null)[]> {
  const answers = [];
  for (let i = 0; i < count; i++) answers.push(await send(bridge, `room-${i}`));
  expect(answers.every((r) => r.status === 200)).toBe(true);
  return answers.map((r) => r.eventId);
}

/** Topic + quarantine topic; the event topic takes record batches of at most `maxBytes`. */
async function topics(
  prefix: string,
  maxBytes?: number,
): Promise<{ topic: string; quarantine: string }> {
  const topic = name(prefix);
  const quarantine = `${topic}.quarantine`;
  const configs =
    maxBytes === undefined ? [] : [{ name: 'max.message.bytes', value: String(maxBytes) }];
  await createTopic(broker().brokers, topic, 3, configs);
  await createTopic(broker().brokers, quarantine, 1);
  return { topic, quarantine };
}

function env(topic: string, quarantine: string, extra: Record<string, string> = {}) {
  return faultBridgeEnv(broker().brokers, topic, { KAFKA_QUARANTINE_TOPIC: quarantine, ...extra });
}

/**
 * Waits until every one of `expected` (event ids) is in the topic (duplicates are allowed:
 * delivery from the spool is at-least-once); fails naming the missing ones.
 */
async function waitForIds(
  topic: string,
  expected: readonly (string | null)[],
  timeoutMs: number,
  bridge?: BridgeProcess,
) {
  let missing: (string | null)[] = [...expected];
  await waitFor(
    async () => {
      const ids = new Set(
        (await readTopic(broker().brokers, topic, 5000)).map((m) => m.headers.ce_id),
      );
      missing = expected.filter((id) => id === null || !ids.has(id));
      return missing.length === 0;
    },
    timeoutMs,
    () =>
      `${topic} lacks ${missing.length} of ${expected.length} events: ${missing.join(', ')}` +
      (bridge ? `\n${tail(bridge.output(), 60)}` : ''),
    250,
  );
}

/** 20 callbacks behind a refused record: each answered 200, all in `topic` within 10 s. */
async function deliverTwentyWithin10s(bridge: BridgeProcess, topic: string): Promise<void> {
  const sentAt = Date.now();
  const ids = await sendRooms(bridge, 20);
  await waitForIds(topic, ids, 10_000 - (Date.now() - sentAt), bridge);
}

describe.each(KAFKA_CLIENTS)(
  'records Kafka refuses for good, and missing topics (%s)',
  (client) => {
    it('an oversized callback goes to quarantine with its Kafka error; the 20 behind it reach Kafka within 10 s', async () => {
      const { topic, quarantine } = await topics('oversized', 4000);
      const bridge = await startBridge(env(topic, quarantine, { KAFKA_CLIENT: client }));
      await waitKafkaConnected(bridge);
      const big = await send(bridge, 'room-big', { CustomInfo: 'x'.repeat(10_000) });
      expect(big.status).toBe(200);
      await deliverTwentyWithin10s(bridge, topic);

      const [quarantined] = await readTopic(broker().brokers, quarantine, 10_000);
      expect(quarantined?.headers).toMatchObject({
        ce_id: big.eventId,
        ce_quarantinereason: 'kafka_refused',
        ce_kafkaerror: 'MESSAGE_TOO_LARGE',
        ce_originaltopic: topic,
      });
      const metrics = await readMetrics(bridge);
      expect(
        metrics.get('live_bridge_events_dead_lettered_total{reason="message_too_large"}'),
      ).toBe(1);
      expect(metrics.get('live_bridge_kafka_connected')).toBe(1);
      expect((await fetch(`${bridge.admin}/readyz`)).status).toBe(200);
      // Logged once, with its event id.
      const lines = bridge
        .output()
        .split('\n')
        .filter((l) => l.includes('refused an event for good'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(big.eventId!);
    }, 90_000);

    it('a restart on a spool whose head Kafka refuses for good: new callbacks delivered within 10 s', async () => {
      const { topic, quarantine } = await topics('head', 4000);
      const spoolDir = mkdtempSync(join(tmpdir(), 'refused-head-'));
      cleanups.push(() => rmSync(spoolDir, { recursive: true, force: true }));
      // An earlier run left an oversized record at the head of the spool.
      const spool = createSqliteSpool({
        path: join(spoolDir, 'spool.sqlite'),
        maxEvents: 1000,
        maxBytes: 1 << 30,
        maxAgeSeconds: 3600,
      });
      spool.append([
        {
          topic,
          key: '1400000001:old',
          value: Buffer.alloc(10_000, 120),
          headers: { ce_id: 'old-oversized', ce_type: 'com.tencentcloud.live.room.created.v1' },
          eventId: 'old-oversized',
          acceptedAt: Date.now() - 60_000,
        },
      ]);
      spool.close();
      const bridge = await startBridge(
        env(topic, quarantine, { KAFKA_CLIENT: client, SPOOL_DIR: spoolDir }),
      );
      await deliverTwentyWithin10s(bridge, topic);
      const quarantined = await readTopic(broker().brokers, quarantine, 10_000);
      expect(quarantined.map((m) => m.headers.ce_id)).toEqual(['old-oversized']);
    }, 90_000);

    it('a configured topic that does not exist at start: exit 1 with one line naming it and both fixes', async () => {
      const topic = name('missing');
      const quarantine = `${topic}.quarantine`;
      await createTopic(broker().brokers, quarantine, 1);
      const bridge = await startBridgeProcessWithCleanup(
        cleanups,
        env(topic, quarantine, { KAFKA_CLIENT: client }),
        { waitReady: false },
      );
      const code = await Promise.race([bridge.exited, sleep(30_000).then(() => 'still running')]);
      if (code === 'still running') bridge.signal('SIGKILL');
      expect(code).toBe(1);
      const fatal = bridge
        .output()
        .split('\n')
        .filter((line) => line.includes(`"topic":"${topic}"`));
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toContain('does not exist');
      expect(fatal[0]).toContain('--create --topic');
      expect(fatal[0]).toContain('KAFKA_CREATE_TOPICS_ENABLED=true');
    }, 60_000);

    it('a topic deleted while running: availability 0, callbacks spooled, delivered once it is re-created', async () => {
      const { topic, quarantine } = await topics('deleted');
      const bridge = await startBridge(
        env(topic, quarantine, { KAFKA_CLIENT: client, KAFKA_METADATA_MAX_AGE_MS: '1000' }),
      );
      await waitKafkaConnected(bridge);
      const available = `live_bridge_kafka_topic_available{topic="${topic}"}`;
      await waitFor(
        async () => (await metric(bridge, available)) === 1,
        10_000,
        () => 'topic never available',
      );
      const admin = createKafkaClient(broker().brokers, 'delete-topic').admin();
      await admin.connect();
      cleanups.push(() => admin.disconnect());
      await admin.deleteTopics({ topics: [topic], timeout: 15_000 });
      await waitFor(
        async () => (await metric(bridge, available)) === 0,
        15_000,
        () => `availability still 1:\n${tail(bridge.output())}`,
      );

      const whileMissing = await sendRooms(bridge, 10);
      expect(await metric(bridge, 'live_bridge_events_spooled_total')).toBeGreaterThan(0);
      expect(await metric(bridge, 'live_bridge_kafka_connected')).toBe(1);
      // One error line naming the topic, not one per request or per metadata check.
      const missingLines = bridge
        .output()
        .split('\n')
        .filter((l) => l.includes('does not exist'));
      expect(missingLines).toHaveLength(1);

      await createTopic(broker().brokers, topic, 3);
      await waitSpoolDrained(bridge, 1, 60_000);
      await waitForIds(topic, whileMissing, 30_000);
      await waitFor(
        async () => (await metric(bridge, available)) === 1,
        10_000,
        () => 'topic never back',
      );
    }, 150_000);
  },
);

/** A process that keeps one core busy (a tight loop) until killed. */
function busyLoop(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  cleanups.push(() => void child.kill('SIGKILL'));
  return child;
}

/** A process that keeps the disk busy with small fsync'd writes in `dir` until killed. */
function fsyncWriter(dir: string): ChildProcess {
  const script = `
    const fs = require('node:fs');
    const fd = fs.openSync(${JSON.stringify(join(dir, 'busy.bin'))}, 'w');
    const block = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; ; i++) { fs.writeSync(fd, block, 0, block.length, (i % 256) * block.length); fs.fsyncSync(fd); }`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  cleanups.push(() => void child.kill('SIGKILL'));
  return child;
}

describe.each(KAFKA_CLIENTS)(
  'answers bounded when the broker dies on a busy machine (%s)',
  (client) => {
    async function killUnderLoad(prefix: string, neighbour: (spoolDir: string) => ChildProcess) {
      const { topic, quarantine } = await topics(prefix);
      const bridge = await startBridge(env(topic, quarantine, { KAFKA_CLIENT: client }));
      await waitKafkaConnected(bridge);
      neighbour(bridge.spoolDir);
      const run = startLoad({
        url: bridge.webhook,
        rate: 200,
        count: 200 * 30,
        durationMs: 30_000,
        roomPrefix: `${topic}-room`,
      });
      cleanups.push(async () => {
        run.stop();
        await run.done.catch(() => undefined);
      });
      await sleep(4000);
      await broker().kill();
      await sleep(20_000);
      await broker().start();
      const summary = await run.done;
      await waitSpoolDrained(bridge, 1, 90_000);
      const c = compareById(summary, await readTopic(broker().brokers, topic));
      logResult(prefix, c, {
        maxAnswerMs: summary.maxLatencyMs,
        p99AnswerMs: summary.p99LatencyMs,
      });
      if (c.missing.length > 0)
        throw new Error(`${c.missing.length} OK'd events missing\n${tail(bridge.output())}`);
      return summary;
    }

    // Issue #15 asks for a max answer of 1.2 s here and under 2 s with a busy disk. The bridge
    // promises more, by design: a killed broker closes its connections, so no answer waits for the
    // 1 s publish deadline (kafka.publishTimeoutMs). That is what is asserted. (The bridge before
    // issue #15 answered these in 1041 ms and 1023 ms at most on the same machine: it waited.)
    const PUBLISH_TIMEOUT_MS = 1000;

    it('broker SIGKILLed 20 s under 200 callbacks/s while a busy loop holds one core: no answer waits for the publish deadline, nothing lost', async () => {
      const summary = await killUnderLoad('busy-cpu', () => busyLoop());
      expect(summary.failedByStatus).toEqual({});
      expect(summary.maxLatencyMs).toBeLessThan(PUBLISH_TIMEOUT_MS);
    }, 180_000);

    it("broker SIGKILLed 20 s under 200 callbacks/s while a writer keeps the spool's disk busy with fsyncs: no answer waits for the publish deadline, nothing lost", async () => {
      const summary = await killUnderLoad('busy-disk', (dir) => fsyncWriter(dir));
      expect(summary.failedByStatus).toEqual({});
      expect(summary.maxLatencyMs).toBeLessThan(PUBLISH_TIMEOUT_MS);
    }, 180_000);
  },
);
