import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quarantineRecord } from '../../src/events/quarantine';
import { brokers, uniqueTopic } from '../helpers/bridge';
import type { BridgeProcess } from '../helpers/bridge-process';
import { bridgeEnv, startBridgeProcessWithCleanup } from '../helpers/bridge-process';
import { runCli, sendFlags, setTopicConfig } from '../helpers/cli-process';
import { readTopic, waitFor, waitKafkaConnected } from '../helpers/fault';
import { createKafkaClient, createTopic } from '../helpers/kafka-broker';
import { sampleText } from '../helpers/samples';
import { APP_ID } from '../helpers/tencent';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Line {
  partition: number;
  offset: string;
  quarantineReason: string;
  outcome: string;
  eventId?: string;
  topic?: string;
  reason?: string;
}

const lines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Line);

const eventIdOf = (stdout: string): string => /^x-event-id: (.*)$/m.exec(stdout)?.[1] ?? '';

describe('replay-quarantine against the built service and the real broker', () => {
  it('publishes what passes now with its ids (a refused event, a body an older bridge could not read), reports the rest', async () => {
    const topic = uniqueTopic('e2e-cli-replay');
    const quarantine = `${topic}.quarantine`;
    await createTopic(brokers(), topic, 1, [{ name: 'max.message.bytes', value: '4000' }]);
    await createTopic(brokers(), quarantine, 1);
    const dir = mkdtempSync(join(tmpdir(), 'cli-replay-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const env = bridgeEnv(topic, { SPOOL_DIR: dir, LOG_LEVEL: 'info' });
    const bridge: BridgeProcess = await startBridgeProcessWithCleanup(cleanups, env);
    await waitKafkaConnected(bridge);
    const auth = sendFlags(bridge);
    const file = (name: string, body: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
      return path;
    };
    const sample = JSON.parse(sampleText('create-room')) as { RoomInfo: Record<string, unknown> };

    // offset 0: an event too large for its topic; its copy lands in quarantine (kafka_refused)
    const big = {
      ...sample,
      RoomInfo: { ...sample.RoomInfo, RoomId: 'replay-big', CustomInfo: 'x'.repeat(6000) },
    };
    const refused = await runCli(['send', ...auth, file('big.json', big)]);
    expect(refused.code).toBe(0);
    const refusedId = eventIdOf(refused.stdout);
    await waitFor(
      async () => (await readTopic(brokers(), quarantine, 10_000)).length === 1,
      30_000,
      () => `no kafka_refused copy:\n${bridge.output()}`,
    );
    // offset 1: invalid for the current schema too (RoomId missing): it still fails
    const withoutRoomId = { ...sample.RoomInfo };
    delete withoutRoomId.RoomId;
    const invalid = await runCli([
      'send',
      ...auth,
      file('invalid.json', { ...sample, RoomInfo: withoutRoomId }),
    ]);
    expect(invalid.stdout).toContain('status: 400');
    // offset 2: a valid create-room that a bridge without that command quarantined
    const older = JSON.stringify({
      ...sample,
      RoomInfo: { ...sample.RoomInfo, RoomId: 'replay-older' },
    });
    const producer = createKafkaClient(brokers(), 'cli-replay-test').producer();
    await producer.connect();
    try {
      const record = quarantineRecord({
        topic: quarantine,
        sdkAppId: APP_ID,
        command: 'Live.CallbackAfterCreateRoom',
        reason: 'unsupported_command',
        detail: 'no event for this command',
        body: Buffer.from(older),
        receivedAtMs: Date.now() - 3_600_000,
      });
      await producer.send({
        topic: quarantine,
        acks: -1,
        messages: [{ key: record.key, value: record.value, headers: record.headers }],
      });
    } finally {
      await producer.disconnect();
    }
    // offset 3: a command nobody knows yet: still fails
    const unknownCommand = 'Live.CallbackAfterSomethingNew';
    const unknown = await runCli([
      'send',
      ...auth,
      '--command',
      unknownCommand,
      file('unknown.json', `{"CallbackCommand":"${unknownCommand}","RoomId":"r9"}`),
    ]);
    expect(unknown.code).toBe(0);
    await waitFor(
      async () => (await readTopic(brokers(), quarantine, 10_000)).length === 4,
      30_000,
      () => 'the quarantine topic does not hold 4 records',
    );

    // a dry run publishes nothing
    const dry = await runCli(['replay-quarantine', '--dry-run'], env);
    expect(dry.code).toBe(1);
    expect(lines(dry.stdout).map((l) => l.outcome)).toEqual([
      'would_publish',
      'still_fails',
      'would_publish',
      'still_fails',
    ]);
    expect(JSON.parse(dry.stderr.trim().split('\n').pop()!)).toEqual({
      read: 4,
      published: 0,
      wouldPublish: 2,
      stillFails: 2,
      skipped: 0,
    });

    // the topic limit raised: the refused event fits now
    await setTopicConfig(brokers(), topic, 'max.message.bytes', '1048588');
    const run = await runCli(['replay-quarantine'], env);
    expect(run.code).toBe(1);
    const report = lines(run.stdout);
    expect(report).toMatchObject([
      {
        offset: '0',
        quarantineReason: 'kafka_refused',
        outcome: 'published',
        eventId: refusedId,
        topic,
      },
      {
        offset: '1',
        quarantineReason: 'payload_invalid',
        outcome: 'still_fails',
        reason: 'payload_invalid',
      },
      { offset: '2', quarantineReason: 'unsupported_command', outcome: 'published', topic },
      {
        offset: '3',
        quarantineReason: 'unsupported_command',
        outcome: 'still_fails',
        reason: 'unsupported_command',
      },
    ]);
    // the replayed body got the id a live callback gets: the bridge answers it as that event
    const live = await runCli(['send', ...auth, file('older.json', older)]);
    expect(eventIdOf(live.stdout)).toBe(report[2]!.eventId);

    const published = await readTopic(brokers(), topic, 20_000);
    const byId = new Map(published.map((m) => [m.headers.ce_id, m]));
    expect(byId.get(refusedId)?.key).toBe(`${APP_ID}:replay-big`);
    expect(byId.get(refusedId)?.headers).not.toHaveProperty('ce_quarantinereason');
    expect(byId.get(refusedId)?.headers).not.toHaveProperty('ce_originaltopic');
    expect(byId.get(report[2]!.eventId)?.key).toBe(`${APP_ID}:replay-older`);

    // offsets: exactly the record asked for
    const one = await runCli(
      [
        'replay-quarantine',
        '--dry-run',
        '--partition',
        '0',
        '--from-offset',
        '2',
        '--to-offset',
        '3',
      ],
      env,
    );
    expect(lines(one.stdout).map((l) => l.offset)).toEqual(['2']);
    expect(one.code).toBe(0);
    // a time range after everything: nothing to do
    const later = await runCli(
      ['replay-quarantine', '--from', new Date(Date.now() + 60_000).toISOString()],
      env,
    );
    expect(later.code).toBe(0);
    expect(later.stdout).toBe('');
    // usage mistakes
    expect((await runCli(['replay-quarantine', '--partition', '7'], env)).code).toBe(2);
    expect((await runCli(['replay-quarantine', '--from', 'yesterday-ish'], env)).code).toBe(2);
  }, 180_000);
});
