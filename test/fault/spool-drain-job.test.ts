/**
 * Issue #13's proof without a cluster: a bridge with Kafka down is stopped (SIGTERM) with events
 * still spooled, and the drain entry point the chart's drain Job runs
 * (`node dist/src/cli.js spool drain`) then delivers them from that spool directory once Kafka is
 * back: every id answered OK, exactly once. And the entry point refuses a spool a bridge holds.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeProcess } from '../helpers/bridge-process';
import { startBridgeProcessWithCleanup } from '../helpers/bridge-process';
import {
  KAFKA_CLIENTS,
  faultBridgeEnv,
  readTopic,
  tail,
  useFaultBroker,
  waitFor,
} from '../helpers/fault';
import { REPO_ROOT, createTopic } from '../helpers/kafka-broker';
import { callbackUrl, createRoomBody } from '../helpers/tencent';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');
const { broker, cleanups } = useFaultBroker();

/** Runs the drain Job's command with the bridge's environment; resolves with its exit code. */
function drainCommand(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'spool', 'drain', '--timeout-seconds', '60'],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 90_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
          output: stdout + stderr,
        }),
    );
  });
}

function startBridge(env: Record<string, string>): Promise<BridgeProcess> {
  return startBridgeProcessWithCleanup(cleanups, env, { readyTimeoutMs: 30_000 });
}

describe('the drain entry point of the chart drain Job', () => {
  it.each(KAFKA_CLIENTS)(
    'delivers what a bridge left spooled at SIGTERM with Kafka down: every OK id in Kafka exactly once (%s)',
    async (client) => {
      const topic = `drain-${randomUUID().slice(0, 8)}`;
      await createTopic(broker().brokers, topic, 3);
      await createTopic(broker().brokers, `${topic}.quarantine`, 1);
      const spoolDir = mkdtempSync(join(tmpdir(), 'drain-job-'));
      cleanups.push(() => rmSync(spoolDir, { recursive: true, force: true }));
      const env = faultBridgeEnv(broker().brokers, topic, {
        KAFKA_CLIENT: client,
        SPOOL_DIR: spoolDir,
        SHUTDOWN_GRACE_MS: '2000',
      });

      await broker().kill();
      const bridge = await startBridge(env);
      const okd: string[] = [];
      for (let i = 0; i < 50; i++) {
        const response = await fetch(`${bridge.webhook}${callbackUrl()}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(createRoomBody(`room-${i}`)),
        });
        await response.arrayBuffer();
        if (response.status === 200) okd.push(response.headers.get('x-event-id')!);
      }
      expect(okd).toHaveLength(50);

      bridge.signal('SIGTERM');
      expect(await bridge.exited).toBe(0);
      const leftLine = bridge
        .output()
        .split('\n')
        .find((line) => line.includes('spool not empty at shutdown'));
      expect(leftLine).toBeDefined();
      expect(JSON.parse(leftLine!)).toMatchObject({ depth: 50 });

      await broker().start();
      const drain = await drainCommand(env);
      expect({ code: drain.code, output: tail(drain.output) }).toMatchObject({ code: 0 });
      expect(drain.output).toContain('spool drained');

      const ids = (await readTopic(broker().brokers, topic)).map((m) => m.headers.ce_id);
      expect(ids.sort()).toEqual([...okd].sort());
    },
    180_000,
  );

  it('refuses, with exit 3, a spool a running bridge holds', async () => {
    const topic = `drain-held-${randomUUID().slice(0, 8)}`;
    await createTopic(broker().brokers, topic, 1);
    await createTopic(broker().brokers, `${topic}.quarantine`, 1);
    const spoolDir = mkdtempSync(join(tmpdir(), 'drain-held-'));
    cleanups.push(() => rmSync(spoolDir, { recursive: true, force: true }));
    const env = faultBridgeEnv(broker().brokers, topic, { SPOOL_DIR: spoolDir });
    const bridge = await startBridge(env);
    await waitFor(
      () => bridge.output().includes('"msg":"listening"'),
      10_000,
      () => 'bridge not listening',
    );
    const drain = await drainCommand(env);
    expect(drain.code).toBe(3);
    expect(drain.output).toContain('held by another process');
  }, 120_000);
});
