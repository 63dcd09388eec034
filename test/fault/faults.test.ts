/**
 * Fault tests: the built bridge (dist/src/main.js) as a process, a private Kafka broker that the
 * tests kill, freeze and restart, and a separate load-generator process that streams signed
 * callbacks at a steady rate. Each test compares, by event id, what was answered OK with what is
 * in Kafka. See docs/fault-tests.md.
 *
 * One file, so the tests run one after the other whatever jest's worker count: they measure
 * answer times, and several brokers/bridges competing for two cores would distort them. They
 * share one private broker (never the global one: they kill it); each test uses its own topic
 * and its own bridge, and afterEach brings the broker back to "running".
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeProcess } from '../helpers/bridge-process';
import { killBridge, readMetrics, startBridgeProcess } from '../helpers/bridge-process';
import {
  compareById,
  KAFKA_CLIENTS,
  faultBridgeEnv,
  logResult,
  metric,
  msUntilDrainStarts,
  portOf,
  readTopic,
  sleep,
  startLoad,
  tail,
  useFaultBroker,
  waitFor,
  waitKafkaConnected,
  waitSpoolDrained,
} from '../helpers/fault';
import { createTopic } from '../helpers/kafka-broker';
import { APP_ID } from '../helpers/tencent';

/** Tencent gives up after 2 s: every answer must come before that. */
const TENCENT_TIMEOUT_MS = 2000;
const SUITE = 'fault tolerance of the built bridge under steady load';
const OVERLOADED_BODY = { ActionStatus: 'FAIL', ErrorInfo: 'spool is full', ErrorCode: 50303 };

const { broker, cleanups } = useFaultBroker();

function topicName(prefix: string): string {
  return `fault-${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Starts a bridge process that afterEach kills (if still running) and whose spool it deletes.
 * With `samePortsAs`, the new process listens on that bridge's ports.
 */
async function startBridge(
  env: Record<string, string>,
  samePortsAs?: BridgeProcess,
): Promise<BridgeProcess> {
  const ports =
    samePortsAs === undefined
      ? {}
      : { PORT: portOf(samePortsAs.webhook), ADMIN_PORT: portOf(samePortsAs.admin) };
  const bridge = await startBridgeProcess({ ...env, ...ports }, { readyTimeoutMs: 30_000 });
  const test = (expect.getState().currentTestName ?? 'test').slice(SUITE.length + 1);
  const name = `${test.replace(/\W+/g, '-').slice(0, 40)}-${Date.now()}`;
  cleanups.push(async () => {
    await killBridge(bridge);
    // FAULT_LOG_DIR=<dir> keeps every bridge's log (JSON lines) for a post-mortem.
    const logDir = process.env.FAULT_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      writeFileSync(join(logDir, `${name}.log`), bridge.output());
    }
    if (env.SPOOL_DIR === undefined) rmSync(bridge.spoolDir, { recursive: true, force: true });
  });
  return bridge;
}

/** The load run is stopped (SIGTERM) by afterEach if a test fails before it ended. */
function load(options: Parameters<typeof startLoad>[0]) {
  const run = startLoad(options);
  cleanups.push(async () => {
    run.stop();
    await run.done.catch(() => undefined);
  });
  return run;
}

/** A fresh 3-partition topic and a bridge publishing to it, connected to Kafka. */
async function bridgeOnNewTopic(
  prefix: string,
  extraEnv: Record<string, string> = {},
): Promise<{ topic: string; env: Record<string, string>; bridge: BridgeProcess }> {
  const topic = topicName(prefix);
  await createTopic(broker().brokers, topic, 3);
  await createTopic(broker().brokers, `${topic}.quarantine`, 1);
  const env = faultBridgeEnv(broker().brokers, topic, extraEnv);
  const bridge = await startBridge(env);
  await waitKafkaConnected(bridge);
  return { topic, env, bridge };
}

/** `rate` callbacks per second for `seconds`, each for a room of its own, at `bridge`. */
function steadyLoad(
  bridge: BridgeProcess,
  topic: string,
  rate: number,
  seconds: number,
  extra: Partial<Parameters<typeof startLoad>[0]> = {},
) {
  return load({
    url: bridge.webhook,
    rate,
    count: rate * seconds,
    durationMs: seconds * 1000,
    roomPrefix: `${topic}-room`,
    ...extra,
  });
}

/** Brings Kafka back with `restore`; returns when that was and how long until the drain began. */
async function kafkaBack(
  bridge: BridgeProcess,
  restore: () => Promise<void>,
): Promise<{ at: number; drainStartMs: number }> {
  const drainedBefore = await metric(bridge, 'live_bridge_spool_drained_total');
  await restore();
  const at = Date.now();
  return { at, drainStartMs: await msUntilDrainStarts(bridge, at, drainedBefore) };
}

/** Fails with the ids and the bridge log when an event answered OK is not in Kafka. */
function expectNothingLost(missing: readonly string[], ...bridges: BridgeProcess[]): void {
  if (missing.length === 0) return;
  throw new Error(
    `${missing.length} events answered OK are not in Kafka, e.g. ${missing.slice(0, 5).join(', ')}\n` +
      bridges.map((b) => tail(b.output(), 30)).join('\n---\n'),
  );
}

describe.each(KAFKA_CLIENTS)(`${SUITE} (%s)`, (client) => {
  it('broker SIGKILLed for 22 s mid-stream, then restarted: every OK is in Kafka, every answer < 2 s', async () => {
    const { topic, bridge } = await bridgeOnNewTopic('kill', { KAFKA_CLIENT: client });
    const run = steadyLoad(bridge, topic, 50, 42);
    await sleep(5000);
    await broker().kill();
    const killedAt = Date.now();
    // The bridge noticed: Kafka did not ack in time, so it spools.
    await waitFor(
      async () => (await metric(bridge, 'live_bridge_events_spooled_total')) > 0,
      10_000,
      () => `nothing spooled after the broker was killed:\n${tail(bridge.output())}`,
    );
    await sleep(Math.max(0, 22_000 - (Date.now() - killedAt)));
    const spooledWhileDown = await metric(bridge, 'live_bridge_events_spooled_total');
    const killedForMs = Date.now() - killedAt;
    const { at: upAt, drainStartMs } = await kafkaBack(bridge, () => broker().start());
    const summary = await run.done;
    await waitSpoolDrained(bridge, spooledWhileDown);

    const c = compareById(summary, await readTopic(broker().brokers, topic));
    const metrics = await readMetrics(bridge);
    logResult('1 broker killed', c, {
      killedForMs,
      restartMs: upAt - killedAt - killedForMs,
      drainStartMs,
      spooled: metrics.get('live_bridge_events_spooled_total'),
      drained: metrics.get('live_bridge_spool_drained_total'),
      p99AnswerMs: summary.p99LatencyMs,
    });
    expectNothingLost(c.missing, bridge);
    expect(killedForMs).toBeGreaterThanOrEqual(20_000);
    expect(spooledWhileDown).toBeGreaterThan(500); // ~22 s × 50/s went to the spool
    expect(summary.failedByStatus).toEqual({}); // every callback answered 200
    expect(summary.maxLatencyMs).toBeLessThan(TENCENT_TIMEOUT_MS);
  }, 150_000);

  it('broker frozen (SIGSTOP) for 8 s, then SIGCONT: answers stay < 2 s (spooled), all delivered after', async () => {
    const { topic, bridge } = await bridgeOnNewTopic('freeze', { KAFKA_CLIENT: client });
    const run = steadyLoad(bridge, topic, 50, 25);
    await sleep(5000);
    await broker().pause();
    const pausedAt = Date.now();
    await sleep(8000);
    const spooledWhileFrozen = await metric(bridge, 'live_bridge_events_spooled_total');
    const { at: resumedAt, drainStartMs } = await kafkaBack(bridge, () => broker().resume());
    const frozenMs = resumedAt - pausedAt;
    const summary = await run.done;
    await waitSpoolDrained(bridge, spooledWhileFrozen);

    const c = compareById(summary, await readTopic(broker().brokers, topic));
    const metrics = await readMetrics(bridge);
    logResult('2 broker frozen', c, {
      frozenMs,
      drainStartMs,
      spooled: metrics.get('live_bridge_events_spooled_total'),
      drained: metrics.get('live_bridge_spool_drained_total'),
      p99AnswerMs: summary.p99LatencyMs,
    });
    expectNothingLost(c.missing, bridge);
    expect(spooledWhileFrozen).toBeGreaterThan(200); // most of the 8 s × 50/s
    expect(summary.failedByStatus).toEqual({});
    expect(summary.maxLatencyMs).toBeLessThan(TENCENT_TIMEOUT_MS);
  }, 120_000);

  it('bridge SIGKILLed while Kafka is down and the spool holds events; restarted on the same spool, then Kafka: all delivered', async () => {
    const {
      topic,
      env,
      bridge: first,
    } = await bridgeOnNewTopic('bridge-kill', { KAFKA_CLIENT: client });
    const run = steadyLoad(first, topic, 50, 32, { requestTimeoutMs: 3000 });
    await sleep(4000);
    await broker().kill();
    let depthBeforeKill = 0;
    await waitFor(
      async () => (depthBeforeKill = await metric(first, 'live_bridge_spool_depth')) >= 150,
      15_000,
      () => `spool depth ${depthBeforeKill} < 150 after the broker was killed`,
    );
    first.signal('SIGKILL');
    await first.exited;
    const bridgeKilledAt = Date.now();
    await sleep(1000); // callbacks now fail to connect: Tencent would see errors, not OKs

    // Same ports (the load generator keeps its URL) and the same spool directory.
    const second = await startBridge({ ...env, SPOOL_DIR: first.spoolDir }, first);
    const bridgeDownMs = Date.now() - bridgeKilledAt;
    // Everything the killed process had fsync'd is still there (Kafka is still down).
    const depthAfterRestart = await metric(second, 'live_bridge_spool_depth');
    expect(depthAfterRestart).toBeGreaterThanOrEqual(depthBeforeKill);
    await sleep(5000); // the new process spools too
    const { drainStartMs } = await kafkaBack(second, () => broker().start());
    const summary = await run.done;
    await waitSpoolDrained(second, depthAfterRestart);

    const c = compareById(summary, await readTopic(broker().brokers, topic));
    logResult('3 bridge killed, Kafka down', c, {
      depthBeforeKill,
      depthAfterRestart,
      bridgeDownMs,
      drainStartMs,
      failed: summary.failedByStatus,
      drained: await metric(second, 'live_bridge_spool_drained_total'),
    });
    expectNothingLost(c.missing, first, second);
    // Only transport errors while no bridge was listening; no HTTP failure.
    expect(Object.keys(summary.failedByStatus).filter((s) => s !== 'error')).toEqual([]);
    const okAfterRestart = summary.requests.filter(
      (r) => r.status === 200 && r.sentAt > bridgeKilledAt + bridgeDownMs,
    ).length;
    expect(okAfterRestart).toBeGreaterThan(200);
    expect(summary.maxLatencyMs).toBeLessThan(TENCENT_TIMEOUT_MS);
  }, 150_000);

  it('spool full with Kafka down: 503 with the FAIL body and the overloaded metric; recovers once Kafka returns', async () => {
    const { topic, bridge } = await bridgeOnNewTopic('full', {
      KAFKA_CLIENT: client,
      SPOOL_MAX_EVENTS: '150',
    });
    const run = steadyLoad(bridge, topic, 50, 30);
    await sleep(3000);
    await broker().kill();
    await waitFor(
      async () =>
        (await metric(bridge, 'live_bridge_callbacks_rejected_total{reason="overloaded"}')) > 0,
      15_000,
      () => `no overloaded rejection:\n${tail(bridge.output())}`,
    );
    await sleep(4000); // keep refusing for a while
    const readyWhileFull = await fetch(`${bridge.admin}/readyz`);
    const depthWhileFull = await metric(bridge, 'live_bridge_spool_depth');
    const { drainStartMs } = await kafkaBack(bridge, () => broker().start());
    await waitSpoolDrained(bridge, 150);
    const drainedAt = Date.now();
    const summary = await run.done;
    const metrics = await readMetrics(bridge);

    const c = compareById(summary, await readTopic(broker().brokers, topic));
    const refused = summary.requests.filter((r) => r.status === 503);
    const okAfterDrain = summary.requests.filter((r) => r.sentAt > drainedAt);
    logResult('4 spool full', c, {
      refused503: refused.length,
      overloadedMetric: metrics.get('live_bridge_callbacks_rejected_total{reason="overloaded"}'),
      depthWhileFull,
      drainStartMs,
      sentAfterDrain: okAfterDrain.length,
    });
    expectNothingLost(c.missing, bridge);
    expect(depthWhileFull).toBe(150);
    expect(readyWhileFull.status).toBe(503); // Kafka down and no room: not ready
    expect(refused.length).toBeGreaterThan(50);
    for (const r of refused) expect(JSON.parse(r.body ?? '')).toEqual(OVERLOADED_BODY);
    expect(Object.keys(summary.failedByStatus)).toEqual(['503']);
    expect(metrics.get('live_bridge_callbacks_rejected_total{reason="overloaded"}')).toBe(
      refused.length,
    );
    // Recovery: everything sent after the spool drained was answered OK.
    expect(okAfterDrain.length).toBeGreaterThan(100);
    for (const r of okAfterDrain) expect(r.status).toBe(200);
    expect(summary.maxLatencyMs).toBeLessThan(TENCENT_TIMEOUT_MS);
  }, 150_000);

  it('ordering: events of one key accepted while the spool drains reach Kafka in acceptance order', async () => {
    // 5 events per drain batch (default 500): the drain takes many produce round trips, so
    // callbacks keep being accepted (behind the spool) while it runs.
    const { topic, bridge } = await bridgeOnNewTopic('order', {
      KAFKA_CLIENT: client,
      SPOOL_DRAIN_BATCH_SIZE: '5',
    });
    const keys = 4;
    const run = steadyLoad(bridge, topic, 80, 28, { mode: 'sequential', keys });
    await sleep(3000);
    await broker().kill();
    await sleep(8000);
    // Sample the drain: when it started (first drained event) and when the spool was empty.
    const samples: { at: number; depth: number; drained: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const m = await readMetrics(bridge).catch(() => undefined);
        if (m) {
          samples.push({
            at: Date.now(),
            depth: m.get('live_bridge_spool_depth') ?? -1,
            drained: m.get('live_bridge_spool_drained_total') ?? 0,
          });
        }
        await sleep(50);
      }
    })();
    const depthAtRestart = await metric(bridge, 'live_bridge_spool_depth');
    await broker().start();
    const summary = await run.done;
    await waitSpoolDrained(bridge, depthAtRestart);
    sampling = false;
    await sampler;

    const firstDrained = samples.findIndex((s) => s.drained > 0);
    const emptyAgain = samples.findIndex((s, i) => i > firstDrained && s.depth === 0);
    const drainStart = samples[Math.max(0, firstDrained - 1)]?.at ?? Date.now();
    const drainEnd = samples[emptyAgain]?.at ?? Date.now();
    const acceptedWhileDraining = summary.requests.filter(
      (r) => r.status === 200 && r.answeredAt! > drainStart && r.answeredAt! < drainEnd,
    ).length;

    const messages = await readTopic(broker().brokers, topic);
    const c = compareById(summary, messages);
    const okIds = new Set(summary.okIds);
    const outOfOrder: string[] = [];
    for (let k = 0; k < keys; k++) {
      const room = `${topic}-room-k${k}`;
      const accepted = summary.okOrderByKey[room] ?? [];
      const inKafka = messages.filter((m) => m.key === `${APP_ID}:${room}`);
      expect(new Set(inKafka.map((m) => m.partition)).size).toBeLessThanOrEqual(1);
      // Kafka order by offset (readTopic sorts by partition, offset); a re-sent duplicate counts
      // at its first offset.
      const order: string[] = [];
      for (const m of inKafka) {
        const id = m.headers.ce_id!;
        if (okIds.has(id) && !order.includes(id)) order.push(id);
      }
      if (JSON.stringify(order) !== JSON.stringify(accepted)) {
        const at = order.findIndex((id, i) => id !== accepted[i]);
        outOfOrder.push(`${room}: first difference at #${at} of ${accepted.length}`);
      }
    }
    logResult('5 ordering', c, {
      keys,
      depthAtRestart,
      drainMs: drainEnd - drainStart,
      acceptedWhileDraining,
      outOfOrderKeys: outOfOrder.length,
    });
    expectNothingLost(c.missing, bridge);
    expect(outOfOrder).toEqual([]);
    expect(depthAtRestart).toBeGreaterThan(200);
    expect(acceptedWhileDraining).toBeGreaterThan(0);
    expect(summary.failedByStatus).toEqual({});
    expect(summary.maxLatencyMs).toBeLessThan(TENCENT_TIMEOUT_MS);
  }, 150_000);

  it('duplicate delivery of the same callback (same body, repeated) gives one Kafka record, with Kafka up and down', async () => {
    const { topic, bridge } = await bridgeOnNewTopic('dup', { KAFKA_CLIENT: client });

    // 20 distinct callbacks, each delivered 10 times (every 0.5 s), open loop.
    const burst = { rate: 40, count: 200, durationMs: 10_000, distinct: 20 };
    const up = await load({ ...burst, url: bridge.webhook, roomPrefix: `${topic}-up` }).done;
    const spooledUp = await metric(bridge, 'live_bridge_events_spooled_total');
    // Kafka down: the first delivery of each is spooled, the re-deliveries hit the dedupe.
    await broker().kill();
    const down = await load({ ...burst, url: bridge.webhook, roomPrefix: `${topic}-down` }).done;
    const spooled = await metric(bridge, 'live_bridge_events_spooled_total');
    await broker().start();
    await waitSpoolDrained(bridge, spooled);

    const messages = await readTopic(broker().brokers, topic);
    const c = compareById([up, down], messages);
    const metrics = await readMetrics(bridge);
    logResult('6 duplicates', c, {
      duplicatesMetric: metrics.get('live_bridge_duplicates_total'),
      spooledKafkaUp: spooledUp,
      spooledKafkaDown: spooled - spooledUp,
    });
    expectNothingLost(c.missing, bridge);
    expect(up.ok + down.ok).toBe(400);
    expect(c.okd).toBe(40);
    expect(messages).toHaveLength(40);
    expect(c.duplicates).toBe(0);
    expect(spooledUp).toBe(0);
    expect(spooled - spooledUp).toBe(20); // once per distinct callback
    expect(metrics.get('live_bridge_duplicates_total')).toBe(360);
    expect(Math.max(up.maxLatencyMs, down.maxLatencyMs)).toBeLessThan(TENCENT_TIMEOUT_MS);
  }, 120_000);
});
