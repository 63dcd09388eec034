import Joi from 'joi';
import { count, epochMs, epochS, id, list, open, text } from './fields';
import { createValidator } from './validator';

/**
 * `Live.CallbackAfterCreateRoom` as Tencent sends it (https://trtc.io/document/64422). Only
 * `RoomInfo.RoomId` is required; account ids may be numbers, times numeric strings, and
 * `EventTime` sits at the top level or inside `RoomInfo` depending on the page.
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

export const createRoomSchema = Joi.object<CreateRoomCallback>({
  CallbackCommand: Joi.string().required(),
  Operator_Account: id,
  EventTime: epochMs,
  RoomInfo: open({
    RoomId: Joi.string().min(1).max(256).required(),
    RoomName: text(1024),
    RoomType: text(64),
    Owner_Account: id,
    MaxMemberCount: count,
    IsMessageDisabled: Joi.boolean(),
    CustomInfo: text(16384),
    IsSeatEnabled: Joi.boolean(),
    MaxSeatCount: count,
    TakeSeatMode: text(64),
    CreateTime: epochS,
    IsPublicVisible: Joi.boolean(),
    CoverURL: text(4096),
    Category: list(Joi.number().integer(), 1024),
    EventTime: epochMs,
  }).required(),
}).unknown(true);

/**
 * Validates a parsed create-room body: plain bodies (what Tencent sends) by the check derived from
 * `createRoomSchema`, everything else by joi, which converts numeric strings and gives the error.
 */
export const validateCreateRoom = createValidator(createRoomSchema);
