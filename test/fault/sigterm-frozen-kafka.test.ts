/**
 * SIGTERM while callbacks stream in and Kafka is frozen (SIGSTOP): the bridge stops within its
 * grace period (exit 0), and every callback it answered OK is in Kafka once a new bridge on the
 * same spool has drained it. From an adversarial review of "OK means durable" (it passed).
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { BridgeProcess } from '../helpers/bridge-process';
import { killBridge, startBridgeProcess } from '../helpers/bridge-process';
import {
  KAFKA_CLIENTS,
  compareById,
  faultBridgeEnv,
  logResult,
  metric,
  readTopic,
  sleep,
  startLoad,
  tail,
  useFaultBroker,
  waitKafkaConnected,
  waitSpoolDrained,
} from '../helpers/fault';
import { createTopic } from '../helpers/kafka-broker';

const { broker, cleanups } = useFaultBroker();

describe.each(KAFKA_CLIENTS)('SIGTERM under load with Kafka frozen (%s)', (client) => {
  it('every OK is in Kafka after a restart on the same spool', async () => {
    const topic = `sigterm-frozen-${randomUUID().slice(0, 8)}`;
    await createTopic(broker().brokers, topic, 3);
    await createTopic(broker().brokers, `${topic}.quarantine`, 1);
    const env = faultBridgeEnv(broker().brokers, topic, { KAFKA_CLIENT: client });
    const first = await startBridgeProcess(env, { readyTimeoutMs: 30_000 });
    // eslint-disable-next-line prefer-const -- assigned after the first bridge stops
    let second: BridgeProcess | undefined;
    cleanups.push(async () => {
      await killBridge(first);
      if (second) await killBridge(second);
      rmSync(first.spoolDir, { recursive: true, force: true });
    });
    await waitKafkaConnected(first);
    const run = startLoad({
      url: first.webhook,
      rate: 200,
      count: 200 * 10,
      durationMs: 10_000,
      roomPrefix: `${topic}-room`,
      requestTimeoutMs: 3000,
    });
    cleanups.push(async () => {
      run.stop();
      await run.done.catch(() => undefined);
    });
    await sleep(2500);
    await broker().pause();
    await sleep(1500); // requests now wait out the 1 s publish deadline, then spool
    const spooledBefore = await metric(first, 'live_bridge_events_spooled_total');
    const termAt = Date.now();
    first.signal('SIGTERM');
    const code = await first.exited;
    const stopMs = Date.now() - termAt;
    const firstLog = first.output();
    // the load keeps going against a closed port (errors, not OKs)
    const summary = await run.done;

    second = await startBridgeProcess(
      { ...env, SPOOL_DIR: first.spoolDir },
      { readyTimeoutMs: 30_000 },
    );
    const depthAtRestart = await metric(second, 'live_bridge_spool_depth');
    await broker().resume();
    await waitKafkaConnected(second, 60_000);
    await waitSpoolDrained(second, 0, 60_000);
    const c = compareById(summary, await readTopic(broker().brokers, topic));
    logResult(`SIGTERM with Kafka frozen (${client})`, c, {
      exitCode: code,
      stopMs,
      spooledBefore,
      depthAtRestart,
      failed: summary.failedByStatus,
    });
    if (c.missing.length > 0) {
      throw new Error(
        `${c.missing.length} OK'd events not in Kafka, e.g. ${c.missing.slice(0, 5).join(', ')}\n` +
          tail(firstLog, 40),
      );
    }
    expect(code).toBe(0);
  }, 180_000);
});
