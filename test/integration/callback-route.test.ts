import type { ServerInjectResponse } from '@hapi/hapi';
import { ROOM_CREATED_V1 } from '../../src/events/room-created-v1';
import { computeSign } from '../../src/tencent/signature';
import { assertMatchesSchema } from '../helpers/event-schema';
import type { TestBridge } from '../helpers/bridge';
import { brokers, buildTestBridge, metricValue, uniqueTopic } from '../helpers/bridge';
import { consumeAll, createTopic } from '../helpers/kafka-broker';
import { APP_ID, CREATE_ROOM, callbackUrl, createRoomBody } from '../helpers/tencent';

const OK = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 };

let t: TestBridge;
let topic: string;
let quarantineTopic: string;

beforeAll(async () => {
  topic = uniqueTopic('route');
  quarantineTopic = `${topic}.quarantine`;
  await createTopic(brokers(), topic, 3);
  await createTopic(brokers(), quarantineTopic, 1);
  t = await buildTestBridge({ KAFKA_TOPIC: topic, KAFKA_QUARANTINE_TOPIC: quarantineTopic });
  await t.publisher.connect();
});

afterAll(async () => {
  await t.publisher.close(2000);
});

function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<ServerInjectResponse> {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return t.bridge.webhook.inject({ method: 'POST', url, payload, headers });
}

function expectFail(response: ServerInjectResponse, status: number) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(response.payload) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['ActionStatus', 'ErrorCode', 'ErrorInfo']);
  expect(body.ActionStatus).toBe('FAIL');
  expect(body.ErrorCode).not.toBe(0);
  expect(typeof body.ErrorInfo).toBe('string');
  expect(response.payload).not.toMatch(/\s+at\s+\S+\s\(|node_modules|Error:/);
  expect(response.headers['x-event-id']).toBeUndefined();
  return body;
}

/** Records the bridge has put in the quarantine topic so far, whatever their reason. */
async function quarantinedSoFar(): Promise<number> {
  let total = 0;
  for (const reason of [
    'json_invalid',
    'command_mismatch',
    'payload_invalid',
    'unsupported_command',
  ]) {
    total += await metricValue(t.registry, 'live_bridge_events_quarantined_total', { reason });
  }
  return total;
}

const rejected = (reason: string) =>
  metricValue(t.registry, 'live_bridge_callbacks_rejected_total', { reason });

describe('POST /webhooks/tencent/live', () => {
  it('publishes a signed room-created callback and answers OK with x-event-id after the ack', async () => {
    const before = await metricValue(t.registry, 'live_bridge_events_forwarded_total', {
      type: ROOM_CREATED_V1,
    });
    const response = await post(
      callbackUrl(),
      createRoomBody('route-ok', { top: { EventTime: 1703589922780 } }),
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.payload)).toEqual(OK);
    const eventId = response.headers['x-event-id'];
    expect(eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(
      await metricValue(t.registry, 'live_bridge_events_forwarded_total', {
        type: ROOM_CREATED_V1,
      }),
    ).toBe(before + 1);

    const [message] = await consumeAll(brokers(), topic, { expected: 1, timeoutMs: 20_000 });
    expect(message!.key).toBe(`${APP_ID}:route-ok`);
    expect(message!.headers.ce_id).toBe(eventId);
    expect(message!.headers.ce_type).toBe(ROOM_CREATED_V1);
    const data = JSON.parse(message!.value.toString()) as Record<string, unknown>;
    assertMatchesSchema(ROOM_CREATED_V1, data);
    expect(data).toMatchObject({ roomId: 'route-ok', sdkAppId: APP_ID, optPlatform: 'iOS' });
  });

  it('counts received callbacks by command', async () => {
    const before = await metricValue(t.registry, 'live_bridge_callbacks_received_total', {
      command: CREATE_ROOM,
    });
    await post(callbackUrl(), createRoomBody('count-me'));
    expect(
      await metricValue(t.registry, 'live_bridge_callbacks_received_total', {
        command: CREATE_ROOM,
      }),
    ).toBe(before + 1);
  });

  it('accepts a callback signed with the previous token (rotation)', async () => {
    const response = await post(
      callbackUrl({ token: 'previous-token' }),
      createRoomBody('rotated'),
    );
    expect(response.statusCode).toBe(200);
  });

  it('accepts an app configured as unsigned without Sign', async () => {
    const response = await post(
      callbackUrl({ appId: '1400000009', token: null }),
      createRoomBody('unsigned'),
    );
    expect(response.statusCode).toBe(200);
  });

  it('accepts a body without a Content-Type header (Tencent documents none)', async () => {
    const response = await post(callbackUrl(), createRoomBody('no-content-type'), {});
    expect(response.statusCode).toBe(200);
  });

  it('answers OK to a command without an event after storing its raw body in quarantine', async () => {
    const command = 'Live.CallbackAfterSomethingNew';
    const quarantined = () =>
      metricValue(t.registry, 'live_bridge_events_quarantined_total', {
        reason: 'unsupported_command',
      });
    const before = await quarantined();
    const other = await metricValue(t.registry, 'live_bridge_callbacks_received_total', {
      command: 'other',
    });
    const raw = JSON.stringify({ CallbackCommand: command, RoomId: 'r' });
    const response = await post(callbackUrl({ command }), raw);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.payload)).toEqual(OK);
    expect(response.headers['x-event-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(await quarantined()).toBe(before + 1);
    expect(
      await metricValue(t.registry, 'live_bridge_callbacks_received_total', { command: 'other' }),
    ).toBe(other + 1);
    const messages = await consumeAll(brokers(), quarantineTopic, {
      expected: await quarantinedSoFar(),
      timeoutMs: 20_000,
    });
    const mine = messages.find((m) => m.headers.ce_id === response.headers['x-event-id']);
    expect(mine!.value.toString()).toBe(raw);
    expect(mine!.headers).toMatchObject({
      ce_quarantinereason: 'unsupported_command',
      ce_tencentcommand: command,
    });
  });

  it('answers a before-callback at once with its verdict, counted', async () => {
    const command = 'Live.CallbackBeforeSendGift';
    const answered = () =>
      metricValue(t.registry, 'live_bridge_before_callbacks_total', {
        command,
        verdict: 'allow',
      });
    const before = await answered();
    const response = await post(callbackUrl({ command }), {
      CallbackCommand: command,
      RoomId: 'gift-room',
      GiftWater: { From_Account: 'a', To_Account: ['b'], Time: 1703589922, GiftId: 'g', Count: 1 },
    });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.payload)).toEqual(OK);
    expect(response.headers['x-event-id']).toBeUndefined();
    expect(await answered()).toBe(before + 1);
  });

  it("answers OK to the console's empty probe", async () => {
    expect((await post(callbackUrl(), '{}')).statusCode).toBe(200);
    expect((await post(callbackUrl(), '')).statusCode).toBe(200);
  });

  const cases: [string, number, string, () => Promise<ServerInjectResponse>][] = [
    [
      'an unknown SdkAppid',
      403,
      'app_unknown',
      () => post(callbackUrl({ appId: '999' }), createRoomBody('x')),
    ],
    [
      'a missing Sign',
      401,
      'signature_missing',
      () => post(callbackUrl({ token: null }), createRoomBody('x')),
    ],
    [
      'a wrong token',
      401,
      'signature_mismatch',
      () => post(callbackUrl({ token: 'wrong' }), createRoomBody('x')),
    ],
    [
      'a RequestTime 61 s old',
      401,
      'signature_expired',
      () => post(callbackUrl({ nowMs: Date.now() - 61_000 }), createRoomBody('x')),
    ],
    [
      'a malformed Sign',
      401,
      'signature_malformed',
      () => post(callbackUrl({ extra: { Sign: 'zz' } }), createRoomBody('x')),
    ],
    [
      'a missing SdkAppid',
      400,
      'query_invalid',
      () =>
        post(
          '/webhooks/tencent/live?CallbackCommand=Live.CallbackAfterCreateRoom',
          createRoomBody('x'),
        ),
    ],
    ['invalid JSON', 400, 'json_invalid', () => post(callbackUrl(), '{"RoomInfo":')],
    [
      'prototype poisoning',
      400,
      'json_invalid',
      () =>
        post(
          callbackUrl(),
          '{"CallbackCommand":"Live.CallbackAfterCreateRoom","__proto__":{"x":1}}',
        ),
    ],
    [
      'a body command that differs from the query',
      400,
      'command_mismatch',
      () =>
        post(callbackUrl(), {
          ...createRoomBody('x'),
          CallbackCommand: 'Live.CallbackAfterDestroyRoom',
        }),
    ],
    [
      'a payload that fails validation',
      400,
      'payload_invalid',
      () => post(callbackUrl(), { CallbackCommand: CREATE_ROOM, RoomInfo: { RoomName: 'no id' } }),
    ],
    [
      'a body over 64 KiB',
      413,
      'body_too_large',
      () => post(callbackUrl(), createRoomBody('x', { room: { CustomInfo: 'x'.repeat(70_000) } })),
    ],
    [
      'a form-encoded body',
      415,
      'unsupported_media_type',
      () => post(callbackUrl(), 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }),
    ],
    [
      'contenttype other than json',
      415,
      'unsupported_media_type',
      () => post(callbackUrl({ extra: { contenttype: 'xml' } }), createRoomBody('x')),
    ],
    [
      'a GET on the callback path',
      405,
      'method_not_allowed',
      () => t.bridge.webhook.inject({ method: 'GET', url: callbackUrl() }),
    ],
    ['another path', 404, 'not_found', () => post('/other', {})],
  ];

  it.each(cases)('refuses %s: %i with reason %s, counted', async (_label, status, reason, send) => {
    const before = await rejected(reason);
    const body = expectFail(await send(), status);
    expect(body.ErrorInfo).not.toBe('');
    expect(await rejected(reason)).toBe(before + 1);
  });

  it('refuses an unauthenticated request before reading its body (403, not 413)', async () => {
    const response = await post(
      callbackUrl({ appId: '999' }),
      createRoomBody('x', { room: { CustomInfo: 'x'.repeat(70_000) } }),
    );
    expectFail(response, 403);
  });

  it('never writes an unauthenticated or invalid request to Kafka', async () => {
    const quietTopic = uniqueTopic('quiet');
    await createTopic(brokers(), quietTopic, 1);
    await createTopic(brokers(), `${quietTopic}.q`, 1);
    const quiet = await buildTestBridge({
      KAFKA_TOPIC: quietTopic,
      KAFKA_QUARANTINE_TOPIC: `${quietTopic}.q`,
    });
    await quiet.publisher.connect();
    try {
      const inject = (url: string, body: unknown) =>
        quiet.bridge.webhook.inject({ method: 'POST', url, payload: JSON.stringify(body) });
      await inject(callbackUrl({ token: 'wrong' }), createRoomBody('a'));
      await inject(callbackUrl({ appId: '999' }), createRoomBody('b'));
      await inject(callbackUrl(), { CallbackCommand: CREATE_ROOM });
      const ok = await inject(callbackUrl(), createRoomBody('only-this-one'));
      expect(ok.statusCode).toBe(200);
      const messages = await consumeAll(brokers(), quietTopic, { expected: 1, timeoutMs: 20_000 });
      expect(messages.map((m) => m.key)).toEqual([`${APP_ID}:only-this-one`]);
      // Only the authenticated invalid body reached the quarantine topic.
      const quarantined = await consumeAll(brokers(), `${quietTopic}.q`, {
        expected: 1,
        timeoutMs: 20_000,
      });
      expect(quarantined.map((m) => m.headers.ce_quarantinereason)).toEqual(['payload_invalid']);
    } finally {
      await quiet.publisher.close(2000);
    }
  });

  it('answers 503 with a FAIL body when Kafka cannot be reached, and counts it', async () => {
    const down = await buildTestBridge({
      KAFKA_BROKERS: '127.0.0.1:1',
      KAFKA_CONNECTION_TIMEOUT_MS: '200',
      KAFKA_RETRY_RETRIES: '1',
      KAFKA_PUBLISH_TIMEOUT_MS: '1000',
    });
    const started = Date.now();
    const response = await down.bridge.webhook.inject({
      method: 'POST',
      url: callbackUrl(),
      payload: JSON.stringify(createRoomBody('kafka-down')),
    });
    expect(Date.now() - started).toBeLessThan(2000);
    const body = expectFail(response, 503);
    expect([50301, 50302]).toContain(body.ErrorCode);
    const failed =
      (await metricValue(down.registry, 'live_bridge_callbacks_rejected_total', {
        reason: 'publish_failed',
      })) +
      (await metricValue(down.registry, 'live_bridge_callbacks_rejected_total', {
        reason: 'publish_timeout',
      }));
    expect(failed).toBe(1);
    expect(await metricValue(down.registry, 'live_bridge_kafka_connected')).toBe(0);
    await down.publisher.close(100).catch(() => undefined);
  });

  it('stores the raw body of an authenticated invalid callback in the quarantine topic', async () => {
    const raw = `{"CallbackCommand":"${CREATE_ROOM}","RoomInfo":{"RoomName":"no id","Owner_Account":144115216631667826}}`;
    const before = await metricValue(t.registry, 'live_bridge_events_quarantined_total', {
      reason: 'payload_invalid',
    });
    const response = await post(callbackUrl(), raw);
    expectFail(response, 400);
    expect(
      await metricValue(t.registry, 'live_bridge_events_quarantined_total', {
        reason: 'payload_invalid',
      }),
    ).toBe(before + 1);
    const total = await quarantinedSoFar();
    const messages = await consumeAll(brokers(), quarantineTopic, {
      expected: total,
      timeoutMs: 20_000,
    });
    expect(messages).toHaveLength(total);
    const mine = messages.find((m) => m.value.toString() === raw);
    expect(mine).toBeDefined();
    expect(mine!.key).toBe(`${APP_ID}:${CREATE_ROOM}`);
    expect(mine!.headers).toMatchObject({
      ce_type: 'com.tencentcloud.live.callback.quarantined.v1',
      ce_source: `tencentcloud:live:${APP_ID}`,
      ce_quarantinereason: 'payload_invalid',
      ce_tencentcommand: CREATE_ROOM,
      ce_quarantinedetail: expect.stringContaining('RoomId') as unknown,
    });
  });

  it('uses the signature scheme Tencent documents', () => {
    // Guards the helper the other tests sign with: it must agree with the vendor vector.
    expect(computeSign('xxxxyyyy', '1669872112')).toBe(
      '17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061',
    );
  });
});
