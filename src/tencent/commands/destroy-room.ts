import type { TencentCallback } from './fields';
import { account, callback, id, open, text, total } from './fields';
import type { RoomInfoFields } from './room-info';
import { ROOM_INFO_FIELDS } from './room-info';

/**
 * `Live.CallbackAfterDestroyRoom` (https://trtc.io/document/64423): a room was dissolved by a
 * user, the REST API, or the system once it was empty (`EventType` `DestroyBySystem`). The room
 * id is at the top level; `RoomInfo` holds the room as it was, `Statistic` its totals. The
 * vendor's sample sends `Owner_Account` as an 18-digit number.
 */
export interface DestroyRoomCallback extends TencentCallback {
  RoomId: string | number;
  Operator_Account?: string | number;
  EventType?: string;
  RoomInfo?: RoomInfoFields;
  Statistic?: {
    TotalViewers?: number;
    TotalGiftsSent?: number;
    TotalGiftCoins?: number;
    TotalUniqueGiftSenders?: number;
    TotalLikesReceived?: number;
    [unknown: string]: unknown;
  };
}

export const destroyRoomSchema = callback<DestroyRoomCallback>({
  RoomId: id.required(),
  Operator_Account: account,
  EventType: text(64),
  RoomInfo: open(ROOM_INFO_FIELDS),
  Statistic: open({
    TotalViewers: total,
    TotalGiftsSent: total,
    TotalGiftCoins: total,
    TotalUniqueGiftSenders: total,
    TotalLikesReceived: total,
  }),
});
