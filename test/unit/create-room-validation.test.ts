import { createRoomSchema, validateCreateRoom } from '../../src/tencent/commands/create-room';
import { compilePlainCheck } from '../../src/tencent/commands/validator';
import type { Random } from '../helpers/random';
import { seededRandom } from '../helpers/random';
import { expectLikeJoi } from '../helpers/like-joi';

/**
 * The fast path derived from the joi schema must never accept what joi refuses, nor accept a
 * body joi would change: checked on generated bodies built from valid, edge and wrong values for
 * every field of the create-room schema.
 */
const isPlainCreateRoom = compilePlainCheck(createRoomSchema);

const MAX_MS = 253402300799999;
const ABSENT = Symbol('absent');

const strings = (max: number): unknown[] => [
  '',
  'x',
  'room-1',
  'é中🙂',
  'a'.repeat(max),
  'a'.repeat(max + 1),
  ' padded ',
  '123',
  null,
  42,
  true,
  {},
  [],
];
const integers = (min: number, max: number): unknown[] => [
  min,
  max,
  min - 1,
  max + 1,
  0,
  -0,
  1,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER,
  '1700000000000',
  '17',
  ' 17 ',
  '1e3',
  '',
  'abc',
  null,
  true,
  [],
  '12345678901234567890',
];
const accounts: unknown[] = [
  'user_1',
  '',
  'a'.repeat(256),
  'a'.repeat(257),
  144115233874156544 /* unsafe: the JSON parser turns such ids into strings first */,
  '144115233874156544',
  12345,
  -5,
  1.5,
  null,
  false,
  {},
];
const booleans: unknown[] = [true, false, 'true', 'false', 'TRUE', 1, 0, null, 'yes'];
const categories: unknown[] = [
  [],
  [1, 2, 3],
  [1.5],
  ['1'],
  [null],
  Array.from({ length: 1024 }, (_, i) => i),
  Array.from({ length: 1025 }, (_, i) => i),
  'not-a-list',
  null,
  {},
];

const ROOM_VALUES: Record<string, unknown[]> = {
  RoomId: strings(256),
  RoomName: strings(1024),
  RoomType: strings(64),
  Owner_Account: accounts,
  MaxMemberCount: integers(0, 2_147_483_647),
  IsMessageDisabled: booleans,
  CustomInfo: strings(16384),
  IsSeatEnabled: booleans,
  MaxSeatCount: integers(0, 2_147_483_647),
  TakeSeatMode: strings(64),
  CreateTime: integers(0, Math.floor(MAX_MS / 1000)),
  IsPublicVisible: booleans,
  CoverURL: strings(4096),
  Category: categories,
  EventTime: integers(0, MAX_MS),
};
const TOP_VALUES: Record<string, unknown[]> = {
  CallbackCommand: ['Live.CallbackAfterCreateRoom', '', null, 5],
  Operator_Account: accounts,
  EventTime: integers(0, MAX_MS),
};
/** A valid value of each field, so most generated bodies are wrong in one place at most. */
const GOOD: Record<string, unknown> = {
  CallbackCommand: 'Live.CallbackAfterCreateRoom',
  Operator_Account: 'op',
  RoomId: 'room-1',
  RoomName: 'name',
  RoomType: 'Live',
  Owner_Account: 'owner',
  MaxMemberCount: 1000,
  IsMessageDisabled: false,
  CustomInfo: '',
  IsSeatEnabled: true,
  MaxSeatCount: 8,
  TakeSeatMode: 'ApplyToTake',
  CreateTime: 1700000000,
  IsPublicVisible: true,
  CoverURL: 'https://example.com/c.png',
  Category: [1, 2],
  EventTime: 1700000000123,
};

function fill(random: Random, values: Record<string, unknown[]>, wrongChance: number) {
  const out: Record<string, unknown> = {};
  for (const [key, pool] of Object.entries(values)) {
    const roll = random.next();
    const value = roll < 0.15 ? ABSENT : roll < 0.15 + wrongChance ? random.pick(pool) : GOOD[key];
    if (value !== ABSENT) out[key] = value;
  }
  if (random.bool(0.3)) out[`Extra${random.int(0, 9)}`] = random.pick([1, 'x', null, { a: 1 }]);
  return out;
}

function generate(random: Random): Record<string, unknown> {
  const wrongChance = random.pick([0, 0.05, 0.3]);
  const body = fill(random, TOP_VALUES, wrongChance);
  const roll = random.next();
  if (roll < 0.9) body.RoomInfo = fill(random, ROOM_VALUES, wrongChance);
  else if (roll < 0.95) body.RoomInfo = random.pick([null, 'room', [], 7]);
  return body;
}

describe('create-room validation fast path', () => {
  it('accepts only bodies joi accepts unchanged, and otherwise answers exactly like joi', () => {
    const random = seededRandom(1125);
    const { fast, refused, converted } = expectLikeJoi({
      schema: createRoomSchema,
      plain: isPlainCreateRoom,
      validate: validateCreateRoom,
      generate: () => generate(random),
      count: 20000,
    });
    // The generator reaches all three kinds, so the assertions above are exercised.
    expect(fast).toBeGreaterThan(2000);
    expect(refused).toBeGreaterThan(2000);
    expect(converted).toBeGreaterThan(200);
  });

  it('takes the fast path for the vendor sample and keeps the very same object', () => {
    const body = {
      CallbackCommand: 'Live.CallbackAfterCreateRoom',
      Operator_Account: 'admin',
      EventTime: 1_700_000_000_123,
      RoomInfo: { RoomId: 'live_1', RoomName: 'Live', Owner_Account: 'anchor', CustomInfo: '' },
    };
    expect(isPlainCreateRoom(body)).toBe(true);
    expect(validateCreateRoom(body).value).toBe(body);
  });

  it('leaves numeric strings to joi, which converts them', () => {
    const result = validateCreateRoom({
      CallbackCommand: 'Live.CallbackAfterCreateRoom',
      EventTime: '1700000000123',
      RoomInfo: { RoomId: 'r' },
    });
    expect(result.value?.EventTime).toBe(1700000000123);
  });

  it('explains a refusal with joi’s message', () => {
    expect(
      validateCreateRoom({ CallbackCommand: 'Live.CallbackAfterCreateRoom', RoomInfo: {} }).error,
    ).toBe('"RoomInfo.RoomId" is required');
  });
});
