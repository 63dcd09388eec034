import Joi from 'joi';
import { epochMs, id, open } from './fields';
import type { RoomInfoFields } from './room-info';
import { ROOM_INFO_FIELDS } from './room-info';
import { createValidator } from './validator';

/** The `RoomInfo` fields of the create-room page; others Tencent sends go to extensions. */
const CREATE_ROOM_FIELDS = [
  'RoomName',
  'RoomType',
  'Owner_Account',
  'MaxMemberCount',
  'IsMessageDisabled',
  'CustomInfo',
  'IsSeatEnabled',
  'MaxSeatCount',
  'TakeSeatMode',
  'CreateTime',
  'IsPublicVisible',
  'CoverURL',
  'Category',
  'EventTime',
] as const;

/**
 * `Live.CallbackAfterCreateRoom` as Tencent sends it (https://trtc.io/document/64422). Only
 * `RoomInfo.RoomId` is required; account ids may be numbers, times numeric strings, and
 * `EventTime` sits at the top level or inside `RoomInfo` depending on the page.
 */
export interface CreateRoomCallback {
  CallbackCommand: string;
  Operator_Account?: string | number;
  EventTime?: number;
  RoomInfo: Pick<RoomInfoFields, (typeof CREATE_ROOM_FIELDS)[number]> & {
    RoomId: string;
    [unknown: string]: unknown;
  };
  [unknown: string]: unknown;
}

const pick = <T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> =>
  Object.fromEntries(keys.map((key) => [key, source[key]])) as Pick<T, K>;

export const createRoomSchema = Joi.object<CreateRoomCallback>({
  CallbackCommand: Joi.string().required(),
  Operator_Account: id,
  EventTime: epochMs,
  RoomInfo: open({
    RoomId: Joi.string().min(1).max(256).required(),
    ...pick(ROOM_INFO_FIELDS, CREATE_ROOM_FIELDS),
  }).required(),
}).unknown(true);

/**
 * Validates a parsed create-room body: plain bodies (what Tencent sends) by the check derived from
 * `createRoomSchema`, everything else by joi, which converts numeric strings and gives the error.
 */
export const validateCreateRoom = createValidator(createRoomSchema);
