import pino from 'pino';
import { Registry } from 'prom-client';
import { CallbackRejectedError, PublishError } from '../../src/errors';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { createMetrics } from '../../src/metrics';
import { COMMAND_TABLE, commandFor } from '../../src/pipeline/command-table';
import { createDedupe } from '../../src/pipeline/dedupe';
import { createDeliverer } from '../../src/pipeline/deliver';
import type { ReceiverOptions } from '../../src/pipeline/receive-callback';
import { createCallbackReceiver } from '../../src/pipeline/receive-callback';
import type { VerifiedRequest } from '../../src/pipeline/verify-request';
import { metricValue } from '../helpers/bridge';
import { assertMatchesSchema } from '../helpers/event-schema';
import { createMemoryPublisher } from '../helpers/memory-publisher';
import { ALL_COMMANDS, sampleText } from '../helpers/samples';

/**
 * The pipeline after verification (parse → command → validate → normalize → deliver, dedupe,
 * quarantine) with the real deliverer over an in-memory publisher and no spool: no broker.
 */

const APP = '1400000001';
const NOW = Date.parse('2026-11-25T10:00:00.123Z');
const BASE = 'https://schemas.example.test/events';
const OK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';

function pipeline(options: Partial<ReceiverOptions> = {}) {
  const publisher = createMemoryPublisher();
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  let clock = NOW;
  const now = () => clock;
  const deliverer = createDeliverer({
    publisher,
    publishTimeoutMs: 1000,
    metrics,
    now,
    dedupe: createDedupe({ windowMs: 600_000, maxEntries: 1000, now }),
    quarantineTopic: 'events.quarantine',
    logger: pino({ level: 'silent' }),
  });
  const receiver = createCallbackReceiver({
    deliverer,
    metrics,
    topic: 'events',
    quarantineTopic: 'events.quarantine',
    contentMode: 'binary',
    dataSchemaBaseUrl: BASE,
    now,
    ...options,
  });
  const receive = (
    command: string,
    body: string | Buffer,
    query: Partial<VerifiedRequest['query']> = {},
  ) =>
    receiver.receive(
      {
        query: {
          sdkAppId: APP,
          command,
          contentType: 'json',
          clientIp: '203.0.113.7',
          optPlatform: 'iOS',
          sign: undefined,
          requestTime: undefined,
          ...query,
        },
        app: { sdkAppId: APP, tokens: [], unsigned: true },
      },
      Buffer.isBuffer(body) ? body : Buffer.from(body),
      'application/json',
    );
  const advance = (ms: number) => (clock += ms);
  return { publisher, registry, receive, advance };
}

const isAfter = (name: string) => commandFor(name)!.kind === 'after';
const AFTER = ALL_COMMANDS.filter(isAfter);
const BEFORE = ALL_COMMANDS.filter((name) => !isAfter(name));

const dataOf = (record: KafkaRecord) =>
  JSON.parse(record.value.toString()) as Record<string, unknown>;

/** The rejection a promise ends with; fails the test when it resolves. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string };
  }
  throw new Error('expected a refusal');
}

describe('after-callbacks', () => {
  it.each(AFTER)(
    '%s: its sample is published once, on the event topic, keyed by the table',
    async (name) => {
      const { publisher, receive } = pipeline();
      const result = await receive(name, sampleText(name));
      const command = commandFor(name)!;
      expect(publisher.records).toHaveLength(1);
      const [record] = publisher.records as [KafkaRecord];
      expect(result).toEqual({
        outcome: 'published',
        eventId: record.eventId,
        eventType: command.type,
      });
      expect(record.topic).toBe('events');
      expect(record.headers.ce_type).toBe(command.type);
      expect(record.headers.ce_id).toBe(record.eventId);
      expect(record.key.startsWith(`${APP}`)).toBe(true);
      assertMatchesSchema(command.type, dataOf(record));
    },
  );

  it('routes each entity to its topic from topicByEntity, the others to kafka.topic', async () => {
    const { publisher, receive } = pipeline({
      topicByEntity: { member: 'live-members', battle: 'live-battles' },
    });
    await receive(
      'Live.CallbackAfterMemberStateChanged',
      sampleText('Live.CallbackAfterMemberStateChanged'),
    );
    await receive('Live.CallbackAfterEndBattle', sampleText('Live.CallbackAfterEndBattle'));
    await receive('Live.CallbackAfterDestroyRoom', sampleText('Live.CallbackAfterDestroyRoom'));
    expect(publisher.records.map((r) => [r.headers.ce_type, r.topic])).toEqual([
      ['com.tencentcloud.live.member.state_changed.v1', 'live-members'],
      ['com.tencentcloud.live.battle.ended.v1', 'live-battles'],
      ['com.tencentcloud.live.room.destroyed.v1', 'events'],
    ]);
  });

  it('keys a room, its battles and its messages so that they share a partition', async () => {
    const { publisher, receive } = pipeline();
    for (const name of [
      'Live.CallbackAfterCreateBattle',
      'Live.CallbackAfterStartBattle',
      'Live.CallbackAfterEndBattle',
    ]) {
      await receive(name, sampleText(name));
    }
    // the vendor's battle samples all start from room pk-3
    expect(new Set(publisher.records.map((r) => r.key))).toEqual(new Set([`${APP}:pk-3`]));
  });

  it('answers a re-delivered callback as a duplicate, also under the other spelling', async () => {
    const { publisher, registry, receive } = pipeline();
    const first = await receive(
      'Live.CallbackAfterMemberStateChanged',
      sampleText('Live.CallbackAfterMemberStateChanged'),
    );
    const again = await receive(
      'Live.CallbackAfterMemberStateChanged',
      sampleText('Live.CallbackAfterMemberStateChanged'),
    );
    const otherName = await receive(
      'Live.CallbackMemberStateChanged',
      sampleText('Live.CallbackMemberStateChanged'),
    );
    expect(first.outcome).toBe('published');
    expect(again).toEqual({ ...first, outcome: 'duplicate' });
    expect(otherName).toEqual({ ...first, outcome: 'duplicate' });
    expect(publisher.records).toHaveLength(1);
    expect(await metricValue(registry, 'live_bridge_duplicates_total')).toBe(2);
  });

  it('writes structured CloudEvents when asked', async () => {
    const { publisher, receive } = pipeline({ contentMode: 'structured' });
    await receive('Live.CallbackAfterSetMetadata', sampleText('Live.CallbackAfterSetMetadata'));
    const envelope = dataOf(publisher.records[0]!);
    expect(envelope).toMatchObject({
      specversion: '1.0',
      type: 'com.tencentcloud.live.metadata.set.v1',
      subject: 'live-room1111',
    });
    assertMatchesSchema('com.tencentcloud.live.metadata.set.v1', envelope.data);
  });

  it('fails without answering OK when Kafka fails and there is no spool', async () => {
    const { publisher, receive } = pipeline();
    publisher.failWith('PUBLISH_FAILED');
    const error = await refusal(
      receive('Live.CallbackAfterDestroyRoom', sampleText('Live.CallbackAfterDestroyRoom')),
    );
    expect(error).toBeInstanceOf(PublishError);
    expect(error.code).toBe('PUBLISH_FAILED');
    expect(publisher.records).toHaveLength(0);
    expect(publisher.refused).toBe(1);
  });
});

describe('bodies at fault: quarantined, then refused', () => {
  const cases: [string, string, string, string][] = [
    [
      'an invalid payload',
      'Live.CallbackAfterDestroyRoom',
      '{"CallbackCommand":"Live.CallbackAfterDestroyRoom","EventType":"DestroyByUser"}',
      'PAYLOAD_INVALID',
    ],
    ['invalid JSON', 'Live.CallbackAfterDestroyRoom', '{"CallbackCommand":', 'JSON_INVALID'],
    [
      'another command in the body',
      'Live.CallbackAfterDestroyRoom',
      sampleText('Live.CallbackAfterSetMetadata'),
      'COMMAND_MISMATCH',
    ],
  ];

  it.each(cases)(
    '%s: the raw body goes to the quarantine topic, the caller gets %s',
    async (_label, name, body, code) => {
      const { publisher, registry, receive } = pipeline();
      const error = await refusal(receive(name, body));
      expect(error).toBeInstanceOf(CallbackRejectedError);
      expect(error.code).toBe(code);
      const reason = (error as CallbackRejectedError).reason;
      expect(publisher.records).toHaveLength(1);
      const [record] = publisher.records as [KafkaRecord];
      expect(record.topic).toBe('events.quarantine');
      expect(record.value.toString()).toBe(body);
      expect(record.headers).toMatchObject({
        ce_quarantinereason: reason,
        ce_tencentcommand: name,
      });
      expect(await metricValue(registry, 'live_bridge_events_quarantined_total', { reason })).toBe(
        1,
      );
    },
  );
});

describe('commands the table does not have', () => {
  const body =
    '{"CallbackCommand":"Live.CallbackAfterSomethingNew","RoomId":"r1","Big":144115216631667826}';

  it('stores the raw body in the quarantine topic (unsupported_command), then answers OK', async () => {
    const { publisher, registry, receive } = pipeline();
    const result = await receive('Live.CallbackAfterSomethingNew', body);
    const [record] = publisher.records as [KafkaRecord];
    expect(result).toEqual({
      outcome: 'published',
      eventId: record.eventId,
      eventType: 'com.tencentcloud.live.callback.quarantined.v1',
      reason: 'unsupported_command',
    });
    expect(record.topic).toBe('events.quarantine');
    expect(record.key).toBe(`${APP}:Live.CallbackAfterSomethingNew`);
    expect(record.value.toString()).toBe(body);
    expect(record.headers).toMatchObject({
      ce_type: 'com.tencentcloud.live.callback.quarantined.v1',
      ce_quarantinereason: 'unsupported_command',
      ce_tencentcommand: 'Live.CallbackAfterSomethingNew',
    });
    expect(
      await metricValue(registry, 'live_bridge_events_quarantined_total', {
        reason: 'unsupported_command',
      }),
    ).toBe(1);
  });

  it('is not answered OK when its body cannot be stored', async () => {
    const { publisher, receive } = pipeline();
    publisher.failWith('PUBLISH_TIMEOUT');
    const error = await refusal(receive('Live.CallbackAfterSomethingNew', body));
    expect(error.code).toBe('PUBLISH_TIMEOUT');
  });

  it('with quarantineUnsupported off: answered OK, counted by the plugin, nothing stored', async () => {
    const { publisher, receive } = pipeline({ quarantineUnsupported: false });
    expect(await receive('Live.CallbackAfterSomethingNew', body)).toEqual({
      outcome: 'ignored',
      reason: 'unsupported_command',
    });
    expect(publisher.records).toHaveLength(0);
  });

  it("answers the console's empty probe without storing anything", async () => {
    const { publisher, receive } = pipeline();
    expect(await receive('Live.CallbackAfterSomethingNew', '{}')).toEqual({
      outcome: 'ignored',
      reason: 'probe',
    });
    expect(publisher.records).toHaveLength(0);
  });
});

describe('before-callbacks', () => {
  it.each(BEFORE)('%s: answered allow at once, nothing published by default', async (name) => {
    const { publisher, receive } = pipeline();
    expect(await receive(name, sampleText(name))).toEqual({
      outcome: 'answered',
      verdict: { name: 'allow', body: OK },
    });
    expect(publisher.records).toHaveLength(0);
  });

  it.each([
    ['Live.CallbackBeforeSendGift', 'block', 1],
    ['Group.CallbackBeforeSendMsg', 'reject', 1],
    ['Group.CallbackBeforeSendMsg', 'discard', 2],
  ])('%s answers the configured verdict %s with ErrorCode %i', async (name, verdict, errorCode) => {
    const { receive } = pipeline({ beforeVerdicts: { [name]: verdict } });
    const result = await receive(name, sampleText(name));
    expect(result).toEqual({
      outcome: 'answered',
      verdict: {
        name: verdict,
        body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":${errorCode}}`,
      },
    });
  });

  it('refuses a verdict the command cannot give, at creation', () => {
    expect(() =>
      pipeline({ beforeVerdicts: { 'Live.CallbackBeforeSendGift': 'discard' } }),
    ).toThrow('cannot answer with verdict discard');
  });

  it.each(BEFORE)(
    '%s with publishBeforeEvents: the observation carries the verdict',
    async (name) => {
      const verdict = name === 'Live.CallbackBeforeSendGift' ? 'block' : 'reject';
      const { publisher, receive, advance } = pipeline({
        publishBeforeEvents: true,
        beforeVerdicts: { [name]: verdict },
      });
      const result = await receive(name, sampleText(name));
      const [record] = publisher.records as [KafkaRecord];
      const command = commandFor(name)!;
      expect(result).toEqual({
        outcome: 'published',
        eventId: record.eventId,
        eventType: command.type,
        verdict: { name: verdict, body: '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1}' },
      });
      expect(dataOf(record).verdict).toBe(verdict);
      assertMatchesSchema(command.type, dataOf(record));
      // never re-sent by Tencent: the same request a moment later is another user action
      advance(5);
      const again = await receive(name, sampleText(name));
      expect(again.outcome).toBe('published');
    },
  );

  it('keeps its verdict when its body fails validation (the body goes to quarantine)', async () => {
    const name = 'Live.CallbackBeforeSendGift';
    const body = sampleText(name).replace('"Count": 1', '"Count": "many"');
    expect(body).not.toBe(sampleText(name));
    const quiet = pipeline();
    expect((await quiet.receive(name, body)).outcome).toBe('answered');
    const { publisher, receive } = pipeline({ publishBeforeEvents: true });
    const result = await receive(name, body);
    expect(result).toMatchObject({
      outcome: 'published',
      reason: 'payload_invalid',
      verdict: { name: 'allow', body: OK },
    });
    expect(publisher.records.map((r) => [r.topic, r.headers.ce_quarantinereason])).toEqual([
      ['events.quarantine', 'payload_invalid'],
    ]);
  });
});

describe('the command table', () => {
  it('gives every command a distinct name and every row a distinct event type', () => {
    expect(new Set(ALL_COMMANDS).size).toBe(ALL_COMMANDS.length);
    const types = COMMAND_TABLE.map((row) => row.type);
    expect(new Set(types).size).toBe(types.length);
    for (const type of types)
      expect(type).toMatch(/^com\.tencentcloud\.live\.[a-z_]+\.[a-z_]+\.v1$/);
  });
});

describe('deep nesting (issue 14): every body within the limit is delivered or quarantined', () => {
  const CREATE = 'Live.CallbackAfterCreateRoom';
  /** The create-room sample with one extra field nested `depth` arrays deep. */
  const deepBody = (depth: number, open = '[', close = ']') =>
    sampleText(CREATE).replace(/}\s*$/, `,"Deep":${open.repeat(depth)}${close.repeat(depth)}}`);

  it.each([5_000, 100_000])(
    'quarantines a signed body with a field %i arrays deep and refuses it as json_too_deep',
    async (depth) => {
      const { publisher, receive, registry } = pipeline();
      const body = deepBody(depth);
      const error = await receive(CREATE, body).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(CallbackRejectedError);
      expect(error).toMatchObject({ code: 'JSON_TOO_DEEP', status: 400 });
      expect(publisher.records).toHaveLength(1);
      const [record] = publisher.records;
      expect(record!.topic).toBe('events.quarantine');
      expect(record!.headers.ce_quarantinereason).toBe('json_too_deep');
      expect(record!.value.toString()).toBe(body);
      expect(
        await metricValue(registry, 'live_bridge_events_quarantined_total', {
          reason: 'json_too_deep',
        }),
      ).toBe(1);
    },
  );

  it('quarantines deep objects as well as deep arrays', async () => {
    const { publisher, receive } = pipeline();
    const body = sampleText(CREATE).replace(
      /}\s*$/,
      `,"Deep":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
    );
    await expect(receive(CREATE, body)).rejects.toMatchObject({ code: 'JSON_TOO_DEEP' });
    expect(publisher.records.map((r) => r.headers.ce_quarantinereason)).toEqual(['json_too_deep']);
  });

  it.each(['binary', 'structured'] as const)(
    'delivers a body nested up to the limit as an event (%s mode)',
    async (contentMode) => {
      const { publisher, receive } = pipeline({ contentMode });
      // The body itself is one level; the extra field adds the rest.
      const result = await receive(CREATE, deepBody(63));
      expect(result).toMatchObject({ outcome: 'published' });
      expect(publisher.records[0]!.topic).toBe('events');
    },
  );
});
