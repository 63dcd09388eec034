import Joi from 'joi';

/**
 * `Live.CallbackAfterCreateRoom` as Tencent sends it (spec/000_3ebb018bdd34218c.txt, reference
 * §1.4.1). Validation is lenient where the vendor's docs disagree with their samples: only
 * `RoomInfo.RoomId` is required, account ids may be numbers, times may be numeric strings, and
 * unknown keys are kept because Tencent adds fields over time.
 */
export interface CreateRoomCallback {
  CallbackCommand: string;
  Operator_Account?: string | number;
  EventTime?: number;
  RoomInfo: {
    RoomId: string;
    RoomName?: string;
    RoomType?: string;
    Owner_Account?: string | number;
    MaxMemberCount?: number;
    IsMessageDisabled?: boolean;
    CustomInfo?: string;
    IsSeatEnabled?: boolean;
    MaxSeatCount?: number;
    TakeSeatMode?: string;
    CreateTime?: number;
    IsPublicVisible?: boolean;
    CoverURL?: string;
    Category?: number[];
    EventTime?: number;
    [unknown: string]: unknown;
  };
  [unknown: string]: unknown;
}

/** Year 9999 in milliseconds: anything later cannot be written as RFC 3339. */
const MAX_EPOCH_MS = 253402300799999;
const MAX_EPOCH_S = Math.floor(MAX_EPOCH_MS / 1000);

/** An account id: a string, or a number (exact digits as a string when beyond 2^53). */
const account = Joi.alternatives().try(Joi.string().max(256), Joi.number().integer());
/** Integer or numeric string (`EventTime` is a string in some samples), converted to a number. */
const epochMs = Joi.number().integer().min(0).max(MAX_EPOCH_MS);
const epochS = Joi.number().integer().min(0).max(MAX_EPOCH_S);
const count = Joi.number().integer().min(0).max(2_147_483_647);

export const createRoomSchema = Joi.object<CreateRoomCallback>({
  CallbackCommand: Joi.string().required(),
  Operator_Account: account,
  EventTime: epochMs,
  RoomInfo: Joi.object({
    RoomId: Joi.string().min(1).max(256).required(),
    RoomName: Joi.string().allow('').max(1024),
    RoomType: Joi.string().allow('').max(64),
    Owner_Account: account,
    MaxMemberCount: count,
    IsMessageDisabled: Joi.boolean(),
    CustomInfo: Joi.string().allow('').max(16384),
    IsSeatEnabled: Joi.boolean(),
    MaxSeatCount: count,
    TakeSeatMode: Joi.string().allow('').max(64),
    CreateTime: epochS,
    IsPublicVisible: Joi.boolean(),
    CoverURL: Joi.string().allow('').max(4096),
    Category: Joi.array().items(Joi.number().integer()).max(1024),
    EventTime: epochMs,
  })
    .unknown(true)
    .required(),
}).unknown(true);

type Check = (value: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text =
  (min: number, max: number): Check =>
  (value) =>
    typeof value === 'string' && value.length >= min && value.length <= max;
const integer =
  (min: number, max: number): Check =>
  (value) =>
    Number.isSafeInteger(value) &&
    (value as number) >= min &&
    (value as number) <= max &&
    !Object.is(value, -0);
const accountId: Check = (value) =>
  text(1, 256)(value) || integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)(value);
const isBoolean: Check = (value) => typeof value === 'boolean';
const categories: Check = (value) =>
  Array.isArray(value) &&
  value.length <= 1024 &&
  value.every(integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
const epochMsCheck = integer(0, MAX_EPOCH_MS);
const countCheck = integer(0, 2_147_483_647);

/** The optional `RoomInfo` fields in their plain form: exactly what the joi schema accepts as is. */
const ROOM_FIELDS: [string, Check][] = [
  ['RoomName', text(0, 1024)],
  ['RoomType', text(0, 64)],
  ['Owner_Account', accountId],
  ['MaxMemberCount', countCheck],
  ['IsMessageDisabled', isBoolean],
  ['CustomInfo', text(0, 16384)],
  ['IsSeatEnabled', isBoolean],
  ['MaxSeatCount', countCheck],
  ['TakeSeatMode', text(0, 64)],
  ['CreateTime', integer(0, MAX_EPOCH_S)],
  ['IsPublicVisible', isBoolean],
  ['CoverURL', text(0, 4096)],
  ['Category', categories],
  ['EventTime', epochMsCheck],
];

const optional = (source: Record<string, unknown>, key: string, check: Check): boolean =>
  !Object.hasOwn(source, key) || check(source[key]);

/**
 * True when `value` is a create-room callback in its plain form: every known field present has
 * exactly the type and range the joi schema wants, so joi would accept it without converting
 * anything. A narrower test than the schema, never a wider one (unit-tested against joi on
 * generated bodies): anything else (numeric strings, empty strings, `null`s, mistakes) goes
 * through joi, which converts or explains.
 */
export function isPlainCreateRoom(value: Record<string, unknown>): value is CreateRoomCallback {
  const room = value.RoomInfo;
  if (!text(1, Infinity)(value.CallbackCommand) || !isObject(room)) return false;
  if (!optional(value, 'Operator_Account', accountId)) return false;
  if (!optional(value, 'EventTime', epochMsCheck)) return false;
  if (!text(1, 256)(room.RoomId)) return false;
  for (const [key, check] of ROOM_FIELDS) if (!optional(room, key, check)) return false;
  return true;
}

export type CreateRoomValidation =
  { value: CreateRoomCallback; error?: undefined } | { value?: undefined; error: string };

/**
 * Validates a parsed create-room body. Plain bodies (what Tencent sends) are checked by a
 * hand-written test of the same rules; everything else goes through `createRoomSchema` (joi),
 * which converts numeric strings and gives the error message.
 */
export function validateCreateRoom(parsed: Record<string, unknown>): CreateRoomValidation {
  if (isPlainCreateRoom(parsed)) return { value: parsed };
  const result = createRoomSchema.validate(parsed, { abortEarly: true, convert: true });
  if (result.error) return { error: result.error.details[0]?.message ?? 'invalid' };
  return { value: result.value };
}
