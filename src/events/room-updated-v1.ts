import type { UpdateRoomInfoCallback } from '../tencent/commands/update-room-info';
import { updateRoomInfoSchema } from '../tencent/commands/update-room-info';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idText, unknownFields } from './normalize';
import type { RoomInfoV1 } from './room-info';
import { roomInfoData } from './room-info';

export const ROOM_UPDATED_V1 = 'com.tencentcloud.live.room.updated.v1';

/**
 * Data of `room.updated.v1`; JSON Schema: schemas/com.tencentcloud.live.room.updated.v1.json.
 * A room field is `null` when the callback did not carry it (unchanged, or not reported).
 */
export interface RoomUpdatedV1 extends RoomInfoV1, EventTail<'EventTime' | 'RoomInfo.EventTime'> {
  sdkAppId: string;
  roomId: string;
  operatorAccount: string | null;
  extensions: { callback: Extensions; roomInfo: Extensions };
}

const CALLBACK_KEYS = namedKeys(updateRoomInfoSchema);
const ROOM_KEYS = namedKeys(updateRoomInfoSchema, 'RoomInfo');

/** Normalizes `Live.CallbackAfterUpdateRoomInfo` (https://trtc.io/document/67938). */
export function normalizeRoomUpdated(
  callback: UpdateRoomInfoCallback,
  meta: ReceiptMetadata,
): RoomUpdatedV1 {
  const room = callback.RoomInfo;
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(room.RoomId),
    operatorAccount: idText(callback.Operator_Account),
    ...roomInfoData(room),
    ...eventTail(
      meta,
      ['EventTime', callback.EventTime, 'ms'],
      ['RoomInfo.EventTime', room.EventTime, 'ms'],
    ),
    extensions: {
      callback: unknownFields(callback, CALLBACK_KEYS),
      roomInfo: unknownFields(room, ROOM_KEYS),
    },
  };
}
