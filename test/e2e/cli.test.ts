import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokers, uniqueTopic } from '../helpers/bridge';
import type { BridgeProcess } from '../helpers/bridge-process';
import { bridgeEnv, freePort, startBridgeProcessWithCleanup } from '../helpers/bridge-process';
import { runCli, sendFlags, setTopicConfig } from '../helpers/cli-process';
import { waitFor, readTopic, waitKafkaConnected } from '../helpers/fault';
import { createTopic } from '../helpers/kafka-broker';
import { kcatConsume } from '../helpers/kcat';
import { sampleText } from '../helpers/samples';
import { APP_ID, TOKEN } from '../helpers/tencent';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment a bridge and its CLI share: the same config, as in one container. */
const cliEnv = (topic: string, spoolDir: string) =>
  bridgeEnv(topic, { SPOOL_DIR: spoolDir, LOG_LEVEL: 'info' });

function start(env: Record<string, string>): Promise<BridgeProcess> {
  return startBridgeProcessWithCleanup(cleanups, env);
}

async function stop(bridge: BridgeProcess): Promise<void> {
  bridge.signal('SIGTERM');
  expect(await bridge.exited).toBe(0);
}

/** `send`'s report: status, x-event-id and body lines. */
function report(stdout: string): { status: number; eventId: string; body: string } {
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(stdout)?.[1] ?? '';
  return { status: Number(field('status')), eventId: field('x-event-id'), body: field('body') };
}

describe('the operator CLI against the built service and the real broker', () => {
  it('send: signs like Tencent (default sample, fixture, stdin) and tests the refusals', async () => {
    const topic = uniqueTopic('e2e-cli-send');
    const quarantine = `${topic}.quarantine`;
    await createTopic(brokers(), topic, 1);
    await createTopic(brokers(), quarantine, 1);
    const bridge = await start(cliEnv(topic, tempDir('cli-send-')));
    const url = `${bridge.webhook}/webhooks/tencent/live`;
    const auth = sendFlags(bridge);

    const first = await runCli(['send', ...auth]);
    expect(first.code).toBe(0);
    const sent = report(first.stdout);
    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.body)).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    expect(sent.eventId).toMatch(/^[0-9a-f]{32}$/);
    // a fresh room id each time: a second default send is another event
    const second = report((await runCli(['send', ...auth])).stdout);
    expect(second.status).toBe(200);
    expect(second.eventId).not.toBe(sent.eventId);

    const member = await runCli(['send', ...auth, 'member-state-changed']);
    expect(member.code).toBe(0);
    const piped = await runCli(
      ['send', ...auth, '-'],
      {},
      {
        stdin: sampleText('Live.CallbackAfterDestroyRoom'),
      },
    );
    expect(piped.code).toBe(0);

    const records = await kcatConsume(brokers(), topic, 4);
    expect(records.map((r) => r.headers.ce_type)).toEqual([
      'com.tencentcloud.live.room.created.v1',
      'com.tencentcloud.live.room.created.v1',
      'com.tencentcloud.live.member.state_changed.v1',
      'com.tencentcloud.live.room.destroyed.v1',
    ]);
    expect(records[0]!.headers.ce_id).toBe(sent.eventId);
    expect(records.map((r) => r.headers.ce_id)).toEqual(
      expect.arrayContaining([report(member.stdout).eventId, report(piped.stdout).eventId]),
    );

    const refusals: [string[], number, number][] = [
      [['--wrong-signature'], 401, 40102], // SIGNATURE_MISMATCH
      [['--stale'], 401, 40103], // SIGNATURE_EXPIRED
      [['--time-offset', '3600'], 401, 40103],
      [['--unsigned'], 401, 40101], // SIGNATURE_MISSING
    ];
    for (const [flags, status, errorCode] of refusals) {
      const refused = await runCli(['send', ...auth, ...flags]);
      expect({ flags, code: refused.code, status: report(refused.stdout).status }).toEqual({
        flags,
        code: 1,
        status,
      });
      expect(JSON.parse(report(refused.stdout).body)).toMatchObject({ ErrorCode: errorCode });
    }
    const otherApp = await runCli([
      'send',
      '--url',
      url,
      '--app-id',
      '1400009999',
      '--token',
      TOKEN,
    ]);
    expect(report(otherApp.stdout).status).toBe(403);
    const expected = await runCli(['send', ...auth, '--wrong-signature', '--expect', '401']);
    expect(expected.code).toBe(0);

    // usage mistakes: exit 2, nothing sent
    expect((await runCli(['send', ...auth, 'no-such-fixture'])).code).toBe(2);
    expect((await runCli(['send', '--url', url, '--token', TOKEN])).code).toBe(2);
    const unreachable = await runCli([
      'send',
      '--url',
      `http://127.0.0.1:${await freePort()}/webhooks/tencent/live`,
      '--app-id',
      APP_ID,
      '--token',
      TOKEN,
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('ECONNREFUSED');
    // no other record reached the topic
    const all = await readTopic(brokers(), topic, 20_000);
    expect(all).toHaveLength(4);
  }, 120_000);

  it('check-config: the effective configuration with secrets redacted; exit 2 listing problems', async () => {
    const dir = tempDir('cli-config-');
    const tokenFile = join(dir, 'previous-token');
    writeFileSync(tokenFile, 'old-secret-token\n');
    const ok = await runCli(['check-config'], {
      TENCENT_SDK_APP_ID: APP_ID,
      TENCENT_CALLBACK_TOKEN: 'current-secret-token',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'bridge',
      KAFKA_SASL_PASSWORD: 'sasl-secret-password',
      KAFKA_TOPIC: 'live-events',
      CONFIG_FILE: writeConfig(dir, {
        tencent: {
          apps: [
            { sdkAppId: '1400000002', token: 'second-secret', previousTokenFiles: [tokenFile] },
          ],
        },
      }),
    });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    for (const secret of [
      'current-secret-token',
      'sasl-secret-password',
      'second-secret',
      'old-secret-token',
    ]) {
      expect(ok.stdout).not.toContain(secret);
    }
    const printed = JSON.parse(ok.stdout) as {
      kafka: { topic: string; sasl: { password: string; username: string } };
      tencent: { apps: { sdkAppId: string; token?: string; previousTokenFiles?: string[] }[] };
    };
    expect(printed.kafka.topic).toBe('live-events');
    expect(printed.kafka.sasl).toMatchObject({ username: 'bridge', password: '<redacted>' });
    expect(printed.tencent.apps).toEqual([
      { sdkAppId: '1400000002', token: '<redacted>', previousTokenFiles: [tokenFile] },
      { sdkAppId: APP_ID, token: '<redacted>' },
    ]);

    const bad = await runCli(['check-config'], {
      TENCENT_SDK_APP_ID: APP_ID,
      TENCENT_CALLBACK_TOKEN_FILE: join(dir, 'missing-token'),
      KAFKA_PUBLISH_TIMEOUT_MS: '9000',
    });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('invalid configuration');
    expect(bad.stderr).toContain('publishTimeoutMs');

    const unreadable = await runCli(['check-config'], {
      TENCENT_SDK_APP_ID: APP_ID,
      TENCENT_CALLBACK_TOKEN_FILE: join(dir, 'missing-token'),
    });
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain(join(dir, 'missing-token'));
  }, 60_000);

  it('dead-letters: list and export what Kafka refused, refuse while the bridge runs, requeue and drain', async () => {
    const topic = uniqueTopic('e2e-cli-dead');
    const quarantine = `${topic}.quarantine`;
    const tiny = [{ name: 'max.message.bytes', value: '4000' }];
    await createTopic(brokers(), topic, 1, tiny);
    await createTopic(brokers(), quarantine, 1, tiny);
    const spoolDir = tempDir('cli-dead-');
    const env = cliEnv(topic, spoolDir);
    const bridge = await start(env);
    await waitKafkaConnected(bridge);
    const auth = sendFlags(bridge);
    // too large for the topic and for the quarantine topic: only the dead-letter table is left
    const big = JSON.parse(sampleText('create-room')) as { RoomInfo: Record<string, unknown> };
    big.RoomInfo.CustomInfo = 'x'.repeat(10_000);
    const file = join(spoolDir, '..', `${topic}-big.json`);
    writeFileSync(file, JSON.stringify(big));
    cleanups.push(() => rmSync(file, { force: true }));
    const sent = await runCli(['send', ...auth, file, '--room-id', 'room-too-big']);
    expect(sent.code).toBe(0);
    const eventId = report(sent.stdout).eventId;
    await waitFor(
      async () =>
        (await fetch(`${bridge.admin}/metrics`).then((r) => r.text())).includes(
          'live_bridge_spool_dead_letters 1',
        ),
      30_000,
      () => `no dead letter:\n${bridge.output()}`,
    );

    const held = await runCli(['dead-letters', 'list'], env);
    expect(held.code).toBe(3);
    expect(held.stderr).toContain('held by another process');
    expect((await runCli(['dead-letters', 'requeue', '--all'], env)).code).toBe(3);
    await stop(bridge);

    const listed = await runCli(['dead-letters', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    const [row, ...more] = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      eventId,
      topic,
      key: `${APP_ID}:room-too-big`,
      type: 'com.tencentcloud.live.room.created.v1',
      kafkaError: 'MESSAGE_TOO_LARGE',
    });
    const tableRun = await runCli(['dead-letters', 'list'], env);
    expect(tableRun.stdout.split('\n')[0]).toMatch(/^id\s+deadLetteredAt\s+kafkaError/);
    expect(tableRun.stdout).toContain(eventId);

    const out = join(spoolDir, 'export.jsonl');
    const exported = await runCli(['dead-letters', 'export', '--out', out], env);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('exported 1 dead letters');
    const line = JSON.parse(readFileSync(out, 'utf8').trim()) as {
      eventId: string;
      headers: Record<string, string>;
      value: string;
    };
    expect(line.headers.ce_id).toBe(eventId);
    const data = JSON.parse(Buffer.from(line.value, 'base64').toString('utf8')) as {
      roomId: string;
    };
    expect(data.roomId).toBe('room-too-big');

    expect((await runCli(['dead-letters', 'requeue'], env)).code).toBe(2);
    const missing = await runCli(['dead-letters', 'requeue', '999999'], env);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ requeued: 0, notFound: [999999] });

    // the cause fixed: the topic takes larger records now
    await setTopicConfig(brokers(), topic, 'max.message.bytes', '1048588');
    const requeued = await runCli(['dead-letters', 'requeue', String(row!.id)], env);
    expect(requeued.code).toBe(0);
    expect(JSON.parse(requeued.stdout)).toEqual({
      requeued: 1,
      eventIds: [eventId],
      notFound: [],
      spoolDepth: 1,
      deadLetters: 0,
    });
    const drained = await runCli(['spool', 'drain', '--timeout-seconds', '60'], env);
    expect(drained.code).toBe(0);
    const [published] = await kcatConsume(brokers(), topic, 1);
    expect(published!.headers.ce_id).toBe(eventId);
    expect(published!.key).toBe(`${APP_ID}:room-too-big`);
    const empty = await runCli(['dead-letters', 'list', '--json'], env);
    expect(empty.stdout).toBe('');
  }, 180_000);
});

function writeConfig(dir: string, config: unknown): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}
