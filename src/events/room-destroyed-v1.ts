import type { DestroyRoomCallback } from '../tencent/commands/destroy-room';
import { destroyRoomSchema } from '../tencent/commands/destroy-room';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idText, orNull, unknownFields } from './normalize';
import type { RoomInfoV1 } from './room-info';
import { roomInfoData } from './room-info';

export const ROOM_DESTROYED_V1 = 'com.tencentcloud.live.room.destroyed.v1';

/** Data of `room.destroyed.v1`; JSON Schema: schemas/com.tencentcloud.live.room.destroyed.v1.json. */
export interface RoomDestroyedV1 extends RoomInfoV1, EventTail<'EventTime' | 'RoomInfo.EventTime'> {
  sdkAppId: string;
  roomId: string;
  operatorAccount: string | null;
  eventType: string | null;
  statistic: {
    totalViewers: number | null;
    totalGiftsSent: number | null;
    totalGiftCoins: number | null;
    totalUniqueGiftSenders: number | null;
    totalLikesReceived: number | null;
    extensions: Extensions;
  } | null;
  extensions: { callback: Extensions; roomInfo: Extensions };
}

const CALLBACK_KEYS = namedKeys(destroyRoomSchema);
const ROOM_KEYS = namedKeys(destroyRoomSchema, 'RoomInfo');
const STATISTIC_KEYS = namedKeys(destroyRoomSchema, 'Statistic');

/** Normalizes `Live.CallbackAfterDestroyRoom` (https://trtc.io/document/64423). */
export function normalizeRoomDestroyed(
  callback: DestroyRoomCallback,
  meta: ReceiptMetadata,
): RoomDestroyedV1 {
  const { RoomInfo: room, Statistic: statistic } = callback;
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(callback.RoomId),
    operatorAccount: idText(callback.Operator_Account),
    eventType: orNull(callback.EventType),
    ...roomInfoData(room),
    statistic:
      statistic === undefined
        ? null
        : {
            totalViewers: orNull(statistic.TotalViewers),
            totalGiftsSent: orNull(statistic.TotalGiftsSent),
            totalGiftCoins: orNull(statistic.TotalGiftCoins),
            totalUniqueGiftSenders: orNull(statistic.TotalUniqueGiftSenders),
            totalLikesReceived: orNull(statistic.TotalLikesReceived),
            extensions: unknownFields(statistic, STATISTIC_KEYS),
          },
    ...eventTail(
      meta,
      ['EventTime', callback.EventTime, 'ms'],
      ['RoomInfo.EventTime', room?.EventTime, 'ms'],
    ),
    extensions: {
      callback: unknownFields(callback, CALLBACK_KEYS),
      roomInfo: unknownFields(room, ROOM_KEYS),
    },
  };
}
