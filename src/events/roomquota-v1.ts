import type { RoomThresholdCallback } from '../tencent/commands/room-threshold';
import { roomThresholdSchema } from '../tencent/commands/room-threshold';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idText, orNull, unknownFields } from './normalize';

export const ROOMQUOTA_THRESHOLD_REACHED_V1 =
  'com.tencentcloud.live.roomquota.threshold_reached.v1';

/**
 * Data of `roomquota.threshold_reached.v1`: the app's room count reached 70 % of its quota.
 * JSON Schema: schemas/com.tencentcloud.live.roomquota.threshold_reached.v1.json.
 */
export interface RoomQuotaThresholdReachedV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  operatorAccount: string | null;
  curRoomCount: number | null;
  maxRoomCount: number | null;
  extensions: { callback: Extensions };
}

const KEYS = namedKeys(roomThresholdSchema);

/** Normalizes `Live.CallbackAfterCreateRoomReachingThreshold` (https://trtc.io/document/70485). */
export function normalizeRoomQuotaThresholdReached(
  callback: RoomThresholdCallback,
  meta: ReceiptMetadata,
): RoomQuotaThresholdReachedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    operatorAccount: idText(callback.Operator_Account),
    curRoomCount: orNull(callback.CurRoomCount),
    maxRoomCount: orNull(callback.MaxRoomCount),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, KEYS) },
  };
}
