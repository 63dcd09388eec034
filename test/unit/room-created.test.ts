import { toKafkaRecord } from '../../src/events/cloudevents';
import type { ReceiptMetadata } from '../../src/events/normalize';
import type { RoomCreatedV1 } from '../../src/events/room-created-v1';
import { ROOM_CREATED_V1 } from '../../src/events/room-created-v1';
import { commandFor } from '../../src/pipeline/command-table';
import type { CreateRoomCallback } from '../../src/tencent/commands/create-room';
import { createRoomSchema } from '../../src/tencent/commands/create-room';
import { parseJsonBody } from '../../src/tencent/json';
import { assertMatchesSchema } from '../helpers/event-schema';
import { SAMPLE_CREATE_ROOM, createRoomBody } from '../helpers/tencent';

const BASE = 'https://schemas.example.test/events';
const RECEIVED_AT = Date.parse('2026-11-25T10:00:00.123Z');

function validate(body: unknown): CreateRoomCallback {
  const result = createRoomSchema.validate(body, { convert: true });
  if (result.error) throw result.error;
  return result.value;
}

function meta(rawBody: unknown, overrides: Partial<ReceiptMetadata> = {}): ReceiptMetadata {
  return {
    sdkAppId: '1400000001',
    command: 'Live.CallbackAfterCreateRoom',
    receivedAtMs: RECEIVED_AT,
    clientIp: '203.0.113.7',
    optPlatform: 'iOS',
    rawBody: Buffer.from(JSON.stringify(rawBody)),
    ...overrides,
  };
}

const command = commandFor('Live.CallbackAfterCreateRoom')!;

/** The event the command table builds from a validated callback. */
function toEvent(callback: CreateRoomCallback, metadata: ReceiptMetadata) {
  const event = command.toEvent(callback, metadata, { dataSchemaBaseUrl: BASE });
  return { ...event, data: event.data as RoomCreatedV1 };
}

function normalize(body: Record<string, unknown>, overrides: Partial<ReceiptMetadata> = {}) {
  const event = toEvent(validate(body), meta(body, overrides));
  assertMatchesSchema(ROOM_CREATED_V1, event.data);
  return event;
}

describe('Live.CallbackAfterCreateRoom → room.created.v1', () => {
  it("maps every field of Tencent's table (the spec's sample)", () => {
    const { data, attributes } = normalize({ ...SAMPLE_CREATE_ROOM });
    expect(data).toEqual({
      sdkAppId: '1400000001',
      roomId: 'tandy-test-rest',
      roomName: 'tandy-test-rest',
      roomType: 'Live',
      ownerAccount: 'user3',
      operatorAccount: 'admin',
      maxMemberCount: 300,
      isMessageDisabled: true,
      customInfo: 'custom123',
      isSeatEnabled: true,
      maxSeatCount: 16,
      takeSeatMode: 'ApplyToTake',
      createTime: '2023-12-26T11:25:22.000Z',
      isPublicVisible: true,
      coverUrl: 'cover url',
      category: [1, 2],
      eventTime: '2023-12-26T11:25:22.000Z',
      eventTimeSource: 'RoomInfo.CreateTime',
      receivedAt: '2026-11-25T10:00:00.123Z',
      clientIp: '203.0.113.7',
      optPlatform: 'iOS',
      extensions: { callback: {}, roomInfo: {} },
    });
    expect(attributes).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
      source: 'tencentcloud:live:1400000001',
      type: 'com.tencentcloud.live.room.created.v1',
      subject: 'tandy-test-rest',
      time: '2023-12-26T11:25:22.000Z',
      dataschema: `${BASE}/com.tencentcloud.live.room.created.v1.json`,
      datacontenttype: 'application/json',
    });
  });

  it('takes a top-level EventTime (ms) first', () => {
    const { data } = normalize(createRoomBody('r', { top: { EventTime: 1703589922780 } }));
    expect(data.eventTime).toBe('2023-12-26T11:25:22.780Z');
    expect(data.eventTimeSource).toBe('EventTime');
  });

  it('takes EventTime inside RoomInfo', () => {
    const { data } = normalize(createRoomBody('r', { room: { EventTime: 1703589922781 } }));
    expect(data.eventTime).toBe('2023-12-26T11:25:22.781Z');
    expect(data.eventTimeSource).toBe('RoomInfo.EventTime');
    expect(data.extensions.roomInfo).toEqual({});
  });

  it('accepts EventTime as a numeric string', () => {
    const { data } = normalize(createRoomBody('r', { top: { EventTime: '1703589922782' } }));
    expect(data.eventTime).toBe('2023-12-26T11:25:22.782Z');
  });

  it('falls back to CreateTime when EventTime is missing', () => {
    const { data } = normalize(createRoomBody('r'));
    expect(data.eventTimeSource).toBe('RoomInfo.CreateTime');
  });

  it('falls back to the receipt time when both are missing, with a body-hash id', () => {
    const body = createRoomBody('r');
    delete (body.RoomInfo as Record<string, unknown>).CreateTime;
    const first = normalize(body);
    expect(first.data.eventTime).toBe('2026-11-25T10:00:00.123Z');
    expect(first.data.eventTimeSource).toBe('receivedAt');
    expect(first.data.createTime).toBeNull();
    const later = normalize(body, { receivedAtMs: RECEIVED_AT + 5000 });
    expect(later.attributes.id).toBe(first.attributes.id);
  });

  it('gives the same id to a re-delivered callback and different ids to different ones', () => {
    const body = createRoomBody('room-1', { top: { EventTime: 1703589922780 } });
    const first = normalize(body);
    const again = normalize(body, { receivedAtMs: RECEIVED_AT + 30_000, clientIp: undefined });
    expect(again.attributes.id).toBe(first.attributes.id);
    const otherRoom = normalize(createRoomBody('room-2', { top: { EventTime: 1703589922780 } }));
    const otherApp = normalize(body, { sdkAppId: '1400000002' });
    const otherTime = normalize(createRoomBody('room-1', { top: { EventTime: 1703589922781 } }));
    const ids = new Set(
      [first, otherRoom, otherApp, otherTime].map((event) => event.attributes.id),
    );
    expect(ids.size).toBe(4);
  });

  it('turns 18-digit account ids into exact strings', () => {
    const raw = Buffer.from(
      JSON.stringify(createRoomBody('r')).replace('"user3"', '144115216631667826'),
    );
    const body = parseJsonBody(raw);
    const event = toEvent(validate(body), meta(body));
    expect(event.data.ownerAccount).toBe('144115216631667826');
    assertMatchesSchema(ROOM_CREATED_V1, event.data);
  });

  it('turns numeric small account ids into strings', () => {
    const { data } = normalize(
      createRoomBody('r', { top: { Operator_Account: 42 }, room: { Owner_Account: 7 } }),
    );
    expect(data.operatorAccount).toBe('42');
    expect(data.ownerAccount).toBe('7');
  });

  it('uses null for documented fields Tencent left out', () => {
    const { data } = normalize({
      CallbackCommand: 'Live.CallbackAfterCreateRoom',
      RoomInfo: { RoomId: 'bare' },
    });
    expect(data).toMatchObject({
      roomId: 'bare',
      roomName: null,
      ownerAccount: null,
      operatorAccount: null,
      category: null,
      coverUrl: null,
      createTime: null,
    });
  });

  it('keeps fields it does not know under extensions', () => {
    const { data } = normalize(
      createRoomBody('r', {
        top: { NewTopField: { a: 1 } },
        room: { BackgroundURL: 'bg', IsUnlimitedRoomEnabled: true },
      }),
    );
    expect(data.extensions).toEqual({
      callback: { NewTopField: { a: 1 } },
      roomInfo: { BackgroundURL: 'bg', IsUnlimitedRoomEnabled: true },
    });
  });

  it('omits ClientIP and OptPlatform as null when the query had none', () => {
    const { data } = normalize(createRoomBody('r'), {
      clientIp: undefined,
      optPlatform: undefined,
    });
    expect(data.clientIp).toBeNull();
    expect(data.optPlatform).toBeNull();
  });
});

describe('createRoomSchema', () => {
  it.each([
    ['no RoomInfo', { CallbackCommand: 'Live.CallbackAfterCreateRoom' }],
    ['no RoomId', createRoomBody('')],
    ['a non-boolean flag', createRoomBody('r', { room: { IsSeatEnabled: 'maybe' } })],
    ['a negative member cap', createRoomBody('r', { room: { MaxMemberCount: -1 } })],
    ['a non-numeric EventTime', createRoomBody('r', { top: { EventTime: 'soon' } })],
    ['categories that are not integers', createRoomBody('r', { room: { Category: ['x'] } })],
  ])('refuses %s', (_label, body) => {
    expect(createRoomSchema.validate(body).error).toBeDefined();
  });
});

describe('toKafkaRecord', () => {
  const { attributes, data } = toEvent(validate(createRoomBody('r')), meta(createRoomBody('r')));

  it('binary mode puts attributes in ce_ headers and the data in the value', () => {
    const record = toKafkaRecord({ mode: 'binary', topic: 't', key: 'k', attributes, data });
    expect(record.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: attributes.id,
      ce_source: attributes.source,
      ce_type: attributes.type,
      ce_subject: 'r',
      ce_time: attributes.time,
      ce_dataschema: attributes.dataschema,
      'content-type': 'application/json',
    });
    expect(JSON.parse(record.value.toString())).toEqual(data);
  });

  it('structured mode puts the whole event in the value', () => {
    const record = toKafkaRecord({ mode: 'structured', topic: 't', key: 'k', attributes, data });
    expect(record.headers).toEqual({
      'content-type': 'application/cloudevents+json; charset=utf-8',
    });
    expect(JSON.parse(record.value.toString())).toEqual({ ...attributes, data });
  });
});
