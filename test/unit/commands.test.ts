import { toKafkaRecord } from '../../src/events/cloudevents';
import type { EventData, ReceiptMetadata } from '../../src/events/normalize';
import type { Command } from '../../src/pipeline/command';
import { COMMAND_TABLE, commandFor } from '../../src/pipeline/command-table';
import { parseJsonBody } from '../../src/tencent/json';
import { assertMatchesSchema } from '../helpers/event-schema';
import { ALL_COMMANDS, sampleText } from '../helpers/samples';

const BASE = 'https://schemas.example.test/events';
const RECEIVED_AT = Date.parse('2026-11-25T10:00:00.123Z');
const RECEIPT = {
  receivedAt: '2026-11-25T10:00:00.123Z',
  clientIp: '203.0.113.7',
  optPlatform: 'iOS',
};

function commandOf(name: string): Command {
  const command = commandFor(name);
  if (command === undefined) throw new Error(`${name} is not in the table`);
  return command;
}

/** Raw body text → the event the table builds, through the bridge's own parser and validator. */
function eventOf(name: string, text: string, overrides: Partial<ReceiptMetadata> = {}) {
  const command = commandOf(name);
  const body = Buffer.from(text);
  const validation = command.validate(parseJsonBody(body));
  if (validation.error !== undefined) throw new Error(`${name}: ${validation.error}`);
  const meta: ReceiptMetadata = {
    sdkAppId: '1400000001',
    command: name,
    receivedAtMs: RECEIVED_AT,
    clientIp: '203.0.113.7',
    optPlatform: 'iOS',
    rawBody: body,
    ...overrides,
  };
  const event = command.toEvent(validation.value, meta, {
    dataSchemaBaseUrl: BASE,
    ...(command.kind === 'before' && { verdict: 'allow' }),
  });
  assertMatchesSchema(command.type, event.data);
  return event;
}

/** A sample body with changes made to its parsed form (parsed losslessly). */
function edited(name: string, edit: (body: Record<string, unknown>) => void): string {
  const body = parseJsonBody(Buffer.from(sampleText(name)));
  edit(body);
  return JSON.stringify(body);
}

/** The message of both room-message samples (before and after sending). */
const MESSAGE = {
  groupId: '@TGS#2J4SZEAEL',
  type: 'Live',
  fromAccount: 'jared',
  operatorAccount: 'admin',
  random: 123456,
  msgId: '144115233406643804-1727580296-4026038328',
  msgBody: [{ msgType: 'TIMTextElem', msgContent: { Text: 'red packet' }, extensions: {} }],
  cloudCustomData: 'your cloud custom data',
};

/**
 * What a sample must become: its key and subject, and data of app 1400000001 with `fields`, the
 * receipt, its time taken from EventTime and only `callback` in extensions unless `fields` says
 * otherwise.
 */
function expectedEvent(
  key: string,
  subject: string,
  fields: { eventTime: string } & Record<string, unknown>,
) {
  const data: Record<string, unknown> = {
    sdkAppId: '1400000001',
    eventTimeSource: 'EventTime',
    ...RECEIPT,
    extensions: { callback: {} },
    ...fields,
  };
  return { key, subject, data };
}

/** What each vendor sample must become: the data, the key and the subject. */
const SAMPLES: Record<string, ReturnType<typeof expectedEvent>> = {
  'Live.CallbackAfterDestroyRoom': expectedEvent('1400000001:tandy-test-rest', 'tandy-test-rest', {
    roomId: 'tandy-test-rest',
    operatorAccount: 'admin',
    eventType: 'DestroyByUser',
    roomName: 'live name',
    roomType: 'Live',
    ownerAccount: '144115216631667826',
    maxMemberCount: 400,
    isMessageDisabled: false,
    customInfo: '',
    isSeatEnabled: true,
    maxSeatCount: 4,
    takeSeatMode: 'FreeToTake',
    createTime: null,
    isPublicVisible: false,
    coverUrl: 'cover url',
    category: [1, 2, 3],
    activityStatus: 0,
    viewCount: 0,
    backgroundUrl: 'background url',
    isUnlimitedRoomEnabled: true,
    statistic: {
      totalViewers: 0,
      totalGiftsSent: 0,
      totalGiftCoins: 0,
      totalUniqueGiftSenders: 0,
      totalLikesReceived: 0,
      extensions: {},
    },
    eventTime: '2023-12-26T11:25:22.780Z',
    extensions: { callback: {}, roomInfo: {} },
  }),
  'Live.CallbackAfterUpdateRoomInfo': expectedEvent('1400000001:live-room', 'live-room', {
    roomId: 'live-room',
    operatorAccount: 'bob',
    roomName: 'rname-123',
    roomType: null,
    ownerAccount: null,
    maxMemberCount: 300,
    isMessageDisabled: false,
    customInfo: 'custom123',
    isSeatEnabled: null,
    maxSeatCount: null,
    takeSeatMode: 'ApplyToTake',
    createTime: null,
    isPublicVisible: false,
    coverUrl: 'https://xxxx.png',
    category: [1, 2, 3],
    activityStatus: 1,
    viewCount: null,
    backgroundUrl: null,
    isUnlimitedRoomEnabled: null,
    eventTime: '2022-12-09T08:26:54.123Z',
    extensions: { callback: {}, roomInfo: {} },
  }),
  'Live.CallbackAfterSetMetadata': expectedEvent('1400000001:live-room1111', 'live-room1111', {
    roomId: 'live-room1111',
    operatorAccount: 'brennanli',
    metadata: [
      { key: 'key1', value: 'value1', extensions: {} },
      { key: 'key2', value: 'value2', extensions: {} },
    ],
    eventTime: '2025-02-19T11:51:25.831Z',
  }),
  'Live.CallbackAfterDelMetadata': expectedEvent('1400000001:live-room1111', 'live-room1111', {
    roomId: 'live-room1111',
    operatorAccount: 'brennanli',
    keys: ['key1', 'key2'],
    eventTime: '2025-02-19T12:00:41.121Z',
  }),
  'Live.CallbackAfterCreateRoomReachingThreshold': expectedEvent('1400000001', '1400000001', {
    operatorAccount: 'brennanli',
    curRoomCount: 400,
    maxRoomCount: 500,
    eventTime: '2025-02-19T12:00:41.121Z',
  }),
  'Live.CallbackAfterMemberStateChanged': expectedEvent('1400000001:room_id', 'room_id', {
    roomId: 'room_id',
    eventType: 'Online',
    eventCause: 'Enter',
    memberList: [
      { memberAccount: 'jared', extensions: {} },
      { memberAccount: 'tommy', extensions: {} },
    ],
    eventTime: '2023-12-26T11:25:22.780Z',
  }),
  'Live.CallbackAfterChangeOwner': expectedEvent('1400000001:room_id', 'room_id', {
    roomId: 'room_id',
    currentOwnerAccount: 'user2',
    originalOwnerAccount: 'user1',
    operatorAccount: 'admin',
    eventTime: '2023-12-26T11:25:22.780Z',
  }),
  'Live.CallbackAfterModifyAdmin': expectedEvent('1400000001:room_id', 'room_id', {
    roomId: 'room_id',
    adminAccount: ['user1', 'user2'],
    opType: 'add',
    operatorAccount: 'admin',
    eventTime: '2023-12-26T11:25:22.780Z',
  }),
  'Mic.CallbackAfterSeatInfoChanged': expectedEvent('1400000001:rid-123', 'rid-123', {
    roomId: 'rid-123',
    seatList: [
      {
        index: 1,
        memberAccount: '144115233775727695',
        isTakenDisabled: false,
        isVideoDisabled: false,
        isAudioDisabled: false,
        extensions: {},
      },
    ],
    eventTime: '2022-12-09T08:26:54.123Z',
  }),
  'Live.CallbackAfterCreateBattle': expectedEvent(
    '1400000001:pk-3',
    '4siHsNsWN/T3aub9zKraqPbSEGRX2z6gs3LDFi+d/3M=',
    {
      battleId: '4siHsNsWN/T3aub9zKraqPbSEGRX2z6gs3LDFi+d/3M=',
      fromRoomId: 'pk-3',
      toRoomIdList: ['pk-5'],
      operatorAccount: 'brennanli',
      timeout: 30000,
      duration: 60000,
      needResponse: false,
      extensionInfo: 'extension pk',
      eventTime: '2025-02-19T08:33:25.000Z',
    },
  ),
  'Live.CallbackAfterStartBattle': expectedEvent(
    '1400000001:pk-3',
    '4siHsNsWN/T3aub9zKraqI4zZAyPRpXQhdtKv1q4HOs=',
    {
      battleId: '4siHsNsWN/T3aub9zKraqI4zZAyPRpXQhdtKv1q4HOs=',
      fromRoomInfo: { roomId: 'pk-3', ownerAccount: 'brennan', score: null, extensions: {} },
      toRoomList: [{ roomId: 'pk-5', ownerAccount: 'tandy', score: null, extensions: {} }],
      duration: 60000,
      createTime: '2025-02-19T08:33:25.000Z',
      startTime: '2025-02-19T08:33:25.000Z',
      eventTime: '2025-02-19T08:33:25.000Z',
    },
  ),
  'Live.CallbackAfterEndBattle': expectedEvent(
    '1400000001:pk-3',
    '4siHsNsWN/T3aub9zKraqPfGQAimPhdFoe6VWhtz9lY=',
    {
      battleId: '4siHsNsWN/T3aub9zKraqPfGQAimPhdFoe6VWhtz9lY=',
      fromRoomInfo: {
        roomId: 'pk-3',
        ownerAccount: '144115245353757792',
        score: 0,
        extensions: {},
      },
      toRoomList: [
        { roomId: 'pk-5', ownerAccount: '144115245442327522', score: 0, extensions: {} },
      ],
      duration: 30000,
      createTime: '2025-02-19T09:08:35.000Z',
      startTime: '2025-02-19T09:08:35.000Z',
      endTime: '2025-02-19T09:09:05.000Z',
      opType: 0,
      eventTime: '2025-02-19T09:09:06.119Z',
    },
  ),
  'Group.CallbackAfterSendMsg': expectedEvent('1400000001:@TGS#2J4SZEAEL', '@TGS#2J4SZEAEL', {
    ...MESSAGE,
    msgSeq: 123,
    msgTime: '2017-03-28T07:30:22.000Z',
    // the sample's EventTime is the string "1670574414123"
    eventTime: '2022-12-09T08:26:54.123Z',
  }),
  'Follow.CallbackAfterFollowAdd': expectedEvent('1400000001:user:UserID_001', 'UserID_001', {
    fromAccount: 'UserID_001',
    followList: [
      { toAccount: 'UserID_002', extensions: {} },
      { toAccount: 'UserID_003', extensions: {} },
    ],
    eventTime: '2023-12-08T06:52:23.678Z',
  }),
  'Follow.CallbackAfterFollowDelete': expectedEvent('1400000001:user:UserID_001', 'UserID_001', {
    fromAccount: 'UserID_001',
    toAccount: ['UserID_002', 'UserID_003'],
    eventTime: '2023-12-08T06:52:23.678Z',
  }),
  'Live.CallbackAfterCloudRecordingChanged': expectedEvent('1400000001:635055', '635055', {
    roomId: '635055',
    eventGroupId: 3,
    eventType: 305,
    callbackTs: '2025-07-15T11:49:10.082Z',
    userId: 'user1',
    taskId: '-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE',
    eventTs: '2025-07-15T11:49:10.000Z',
    eventMsTs: '2025-07-15T11:49:10.081Z',
    payload: { Status: 0 },
    // no EventTime in the sample: when the recording event happened
    eventTime: '2025-07-15T11:49:10.081Z',
    eventTimeSource: 'EventInfo.EventMsTs',
    extensions: { callback: {}, eventInfo: {} },
  }),
  'Live.CallbackBeforeSendGift': expectedEvent('1400000001:room_id', 'room_id', {
    roomId: 'room_id',
    operatorAccount: 'brennanli',
    fromAccount: 'from',
    toAccount: ['to1'],
    time: '2023-12-26T11:25:22.000Z',
    giftId: 'gift1',
    count: 1,
    coins: 1000,
    verdict: 'allow',
    // no EventTime in the sample: the gift's Time (seconds)
    eventTime: '2023-12-26T11:25:22.000Z',
    eventTimeSource: 'GiftWater.Time',
    extensions: { callback: {}, giftWater: {} },
  }),
  'Group.CallbackBeforeSendMsg': expectedEvent('1400000001:@TGS#2J4SZEAEL', '@TGS#2J4SZEAEL', {
    ...MESSAGE,
    verdict: 'allow',
    eventTime: '2022-12-09T08:26:54.123Z',
  }),
};

/** The first name of every row but create-room (whose own tests are room-created*.test.ts). */
const ROWS = COMMAND_TABLE.map((row) => row.commands[0]!).filter(
  (name) => name !== 'Live.CallbackAfterCreateRoom',
);

describe('the vendor samples', () => {
  it('has an expected event for every command of the table', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...ROWS].sort());
  });

  it.each(ROWS)('%s → its v1 event, key and subject', (name) => {
    const expected = SAMPLES[name]!;
    const command = commandOf(name);
    const event = eventOf(name, sampleText(name));
    expect(event.data).toEqual(expected.data);
    expect(event.key).toBe(expected.key);
    expect(event.attributes).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
      source: 'tencentcloud:live:1400000001',
      type: command.type,
      subject: expected.subject,
      time: expected.data.eventTime,
      dataschema: `${BASE}/${command.type}.json`,
      datacontenttype: 'application/json',
    });
    // the Kafka record of it (binary mode) carries the same data
    const record = toKafkaRecord({ mode: 'binary', topic: 't', ...event });
    expect(record.headers.ce_type).toBe(command.type);
    assertMatchesSchema(command.type, JSON.parse(record.value.toString()));
  });
});

/** Every name the table accepts, aliases included (both member-state and recording spellings). */
describe.each(ALL_COMMANDS)('%s quirks', (name) => {
  const sample = () => eventOf(name, sampleText(name));

  it('accepts EventTime as a numeric string, with the same time and id as the number', () => {
    const asNumber = eventOf(
      name,
      edited(name, (body) => (body.EventTime = 1703589922780)),
    );
    const asString = eventOf(
      name,
      edited(name, (body) => (body.EventTime = '1703589922780')),
    );
    expect(asString.data.eventTime).toBe('2023-12-26T11:25:22.780Z');
    expect(asString.data.eventTimeSource).toBe('EventTime');
    expect(asString.data).toEqual(asNumber.data);
    expect(asString.attributes.id).toBe(asNumber.attributes.id);
  });

  it('falls back when EventTime is missing, with an id that does not depend on the receipt', () => {
    const text = edited(name, (body) => delete body.EventTime);
    const first = eventOf(name, text);
    const later = eventOf(name, text, { receivedAtMs: RECEIVED_AT + 60_000, clientIp: undefined });
    expect(first.data.eventTimeSource).not.toBe('EventTime');
    if (first.data.eventTimeSource === 'receivedAt') {
      expect(first.data.eventTime).toBe(RECEIPT.receivedAt);
    } else {
      expect(first.data.eventTime).not.toBe(RECEIPT.receivedAt);
    }
    if (commandOf(name).kind === 'after') expect(later.attributes.id).toBe(first.attributes.id);
  });

  it('keeps unknown fields at the top level under extensions.callback', () => {
    const { data } = eventOf(
      name,
      edited(name, (body) => (body.NewTopField = { nested: [1, '2'], big: '144115216631667826' })),
    );
    const extensions = (data as EventData & { extensions: { callback: object } }).extensions;
    expect(extensions.callback).toEqual({
      NewTopField: { nested: [1, '2'], big: '144115216631667826' },
    });
  });

  it('turns 18-digit numeric account ids into strings, digit for digit', () => {
    // every account the sample gives as a JSON string is sent as an 18-digit JSON number (some
    // samples send such numbers already)
    const text = sampleText(name).replace(
      /"(\w*_Account|UserId)":\s*"[^"]*"/g,
      (_match, key: string) => `"${key}":144115216631667826`,
    );
    const numbers = [...text.matchAll(/[:[,]\s*(\d{18})\s*[,\]}]/g)].map((match) => match[1]!);
    expect(numbers.length).toBeGreaterThan(0);
    const value = JSON.stringify(eventOf(name, text).data);
    for (const digits of numbers) {
      expect(value).toContain(`"${digits}"`);
      expect(value).not.toMatch(new RegExp(`[:,\\[]${digits}[,\\]}]`));
    }
  });

  it('gives a different id to a callback that differs in one field', () => {
    const other = eventOf(
      name,
      edited(name, (body) => (body.EventTime = 1703589922781)),
    );
    expect(other.attributes.id).not.toBe(sample().attributes.id);
  });
});

describe('where EventTime sits', () => {
  it.each(['Live.CallbackAfterDestroyRoom', 'Live.CallbackAfterUpdateRoomInfo'])(
    '%s: inside RoomInfo when not at the top level',
    (name) => {
      const { data } = eventOf(
        name,
        edited(name, (body) => {
          delete body.EventTime;
          (body.RoomInfo as Record<string, unknown>).EventTime = '1703589922781';
        }),
      );
      expect(data.eventTime).toBe('2023-12-26T11:25:22.781Z');
      expect(data.eventTimeSource).toBe('RoomInfo.EventTime');
    },
  );

  it.each([
    ['Live.CallbackAfterStartBattle', 'StartTime', '2025-02-19T08:33:25.000Z'],
    ['Live.CallbackAfterEndBattle', 'EndTime', '2025-02-19T09:09:05.000Z'],
    ['Group.CallbackAfterSendMsg', 'MsgTime', '2017-03-28T07:30:22.000Z'],
  ])('%s: falls back to %s (seconds)', (name, source, time) => {
    const { data } = eventOf(
      name,
      edited(name, (body) => delete body.EventTime),
    );
    expect(data.eventTimeSource).toBe(source);
    expect(data.eventTime).toBe(time);
  });

  it('recording: EventTime first, then EventMsTs, EventTs, CallbackTs, then the receipt', () => {
    const name = 'Live.CallbackAfterCloudRecordingChanged';
    const info = (body: Record<string, unknown>) => body.EventInfo as Record<string, unknown>;
    const cases: [(body: Record<string, unknown>) => void, string, string][] = [
      [(body) => (body.EventTime = 1752580150999), 'EventTime', '2025-07-15T11:49:10.999Z'],
      [() => undefined, 'EventInfo.EventMsTs', '2025-07-15T11:49:10.081Z'],
      [(body) => delete info(body).EventMsTs, 'EventInfo.EventTs', '2025-07-15T11:49:10.000Z'],
      [
        (body) => {
          delete info(body).EventMsTs;
          delete info(body).EventTs;
        },
        'CallbackTs',
        '2025-07-15T11:49:10.082Z',
      ],
      [
        (body) => {
          delete info(body).EventMsTs;
          delete info(body).EventTs;
          delete body.CallbackTs;
        },
        'receivedAt',
        RECEIPT.receivedAt,
      ],
    ];
    for (const [edit, source, time] of cases) {
      const { data } = eventOf(name, edited(name, edit));
      expect([data.eventTimeSource, data.eventTime]).toEqual([source, time]);
    }
  });
});

describe('both spellings', () => {
  it.each([
    ['Live.CallbackAfterMemberStateChanged', 'Live.CallbackMemberStateChanged'],
    ['Live.CallbackAfterCloudRecordingChanged', 'Follow.CallbackAfterCloudRecordingChanged'],
  ])('%s and %s give the same event type, data and id', (documented, other) => {
    const a = eventOf(documented, sampleText(documented));
    const b = eventOf(other, sampleText(other));
    expect(commandOf(other)).toBe(commandOf(documented));
    expect(b.attributes.type).toBe(a.attributes.type);
    expect(b.data).toEqual(a.data);
    expect(b.attributes.id).toBe(a.attributes.id);
  });
});

describe('unknown fields inside objects and lists', () => {
  it('keeps them in the object that mirrors theirs', () => {
    const seats = eventOf(
      'Mic.CallbackAfterSeatInfoChanged',
      edited('Mic.CallbackAfterSeatInfoChanged', (body) => {
        (body.SeatList as Record<string, unknown>[])[0]!.NewSeatFlag = true;
      }),
    ).data as unknown as { seatList: { extensions: object }[] };
    expect(seats.seatList[0]!.extensions).toEqual({ NewSeatFlag: true });

    const destroyed = eventOf(
      'Live.CallbackAfterDestroyRoom',
      edited('Live.CallbackAfterDestroyRoom', (body) => {
        (body.RoomInfo as Record<string, unknown>).Theme = 'dark';
        (body.Statistic as Record<string, unknown>).TotalShares = 7;
      }),
    ).data as unknown as {
      statistic: { extensions: object };
      extensions: { roomInfo: object };
    };
    expect(destroyed.extensions.roomInfo).toEqual({ Theme: 'dark' });
    expect(destroyed.statistic.extensions).toEqual({ TotalShares: 7 });

    const gift = eventOf(
      'Live.CallbackBeforeSendGift',
      edited('Live.CallbackBeforeSendGift', (body) => {
        (body.GiftWater as Record<string, unknown>).ComboId = 'c1';
      }),
    ).data as unknown as { extensions: { giftWater: object } };
    expect(gift.extensions.giftWater).toEqual({ ComboId: 'c1' });
  });
});

describe('lenient where the vendor pages are wrong', () => {
  it('threshold counts as numeric strings (the page types them String and Array)', () => {
    const { data } = eventOf(
      'Live.CallbackAfterCreateRoomReachingThreshold',
      edited('Live.CallbackAfterCreateRoomReachingThreshold', (body) => {
        body.CurRoomCount = '401';
        body.MaxRoomCount = '500';
      }),
    );
    expect(data).toMatchObject({ curRoomCount: 401, maxRoomCount: 500 });
  });

  it('an empty seat: no Member_Account, or an empty one, is null', () => {
    const { data } = eventOf(
      'Mic.CallbackAfterSeatInfoChanged',
      edited('Mic.CallbackAfterSeatInfoChanged', (body) => {
        body.SeatList = [{ Index: 0 }, { Index: 1, Member_Account: '' }];
      }),
    );
    expect((data as unknown as { seatList: { memberAccount: unknown }[] }).seatList).toEqual([
      expect.objectContaining({ memberAccount: null }),
      expect.objectContaining({ memberAccount: null }),
    ]);
  });

  it('numeric room ids become strings', () => {
    const { data, key } = eventOf(
      'Live.CallbackAfterCloudRecordingChanged',
      edited('Live.CallbackAfterCloudRecordingChanged', (body) => {
        (body.EventInfo as Record<string, unknown>).RoomId = 635055;
      }),
    );
    expect((data as unknown as { roomId: unknown }).roomId).toBe('635055');
    expect(key).toBe('1400000001:635055');
  });
});

describe('what the schemas refuse', () => {
  it.each([
    ['Live.CallbackAfterDestroyRoom', (body: Record<string, unknown>) => delete body.RoomId],
    [
      'Live.CallbackAfterUpdateRoomInfo',
      (body: Record<string, unknown>) => delete (body.RoomInfo as Record<string, unknown>).RoomId,
    ],
    ['Live.CallbackAfterMemberStateChanged', (body: Record<string, unknown>) => (body.RoomId = '')],
    ['Live.CallbackAfterCreateBattle', (body: Record<string, unknown>) => delete body.FromRoomId],
    ['Live.CallbackAfterStartBattle', (body: Record<string, unknown>) => delete body.FromRoomInfo],
    ['Follow.CallbackAfterFollowAdd', (body: Record<string, unknown>) => delete body.From_Account],
    ['Group.CallbackAfterSendMsg', (body: Record<string, unknown>) => delete body.GroupId],
    [
      'Live.CallbackAfterCloudRecordingChanged',
      (body: Record<string, unknown>) => delete body.EventInfo,
    ],
    ['Live.CallbackAfterSetMetadata', (body: Record<string, unknown>) => (body.EventTime = 'soon')],
    [
      'Mic.CallbackAfterSeatInfoChanged',
      (body: Record<string, unknown>) => (body.SeatList = [{ IsTakenDisabled: 'maybe' }]),
    ],
  ])('%s without what it cannot do without', (name, edit) => {
    const parsed = parseJsonBody(Buffer.from(edited(name, edit)));
    expect(commandOf(name).validate(parsed).error).toEqual(expect.any(String));
  });
});
