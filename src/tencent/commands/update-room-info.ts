import type { TencentCallback } from './fields';
import { account, callback, id, open } from './fields';
import type { RoomInfoFields } from './room-info';
import { ROOM_INFO_FIELDS } from './room-info';

/**
 * `Live.CallbackAfterUpdateRoomInfo` (https://trtc.io/document/67938): room information changed.
 * The page does not say whether `RoomInfo` holds the whole room or only what changed.
 */
export interface UpdateRoomInfoCallback extends TencentCallback {
  Operator_Account?: string | number;
  RoomInfo: RoomInfoFields & { RoomId: string | number };
}

export const updateRoomInfoSchema = callback<UpdateRoomInfoCallback>({
  Operator_Account: account,
  RoomInfo: open({ RoomId: id.required(), ...ROOM_INFO_FIELDS }).required(),
});
