import Joi from 'joi';
import { code, count, epochMs, epochS, id, list, text, total } from './fields';

/**
 * The fields of `RoomInfo` across the room callbacks (https://trtc.io/document/64422,
 * https://trtc.io/document/64423, https://trtc.io/document/67938). Every one is optional: the
 * pages do not say whether an update sends the whole room or only what changed.
 */
export interface RoomInfoFields {
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
  ActivityStatus?: number;
  ViewCount?: number;
  BackgroundURL?: string;
  IsUnlimitedRoomEnabled?: boolean;
  [unknown: string]: unknown;
}

/** joi rules of each `RoomInfo` field. */
export const ROOM_INFO_FIELDS = {
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
  ActivityStatus: code,
  ViewCount: total,
  BackgroundURL: text(4096),
  IsUnlimitedRoomEnabled: Joi.boolean(),
} satisfies Record<keyof RoomInfoFields & string, Joi.Schema>;
