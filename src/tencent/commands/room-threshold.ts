import type { TencentCallback } from './fields';
import { account, callback, total } from './fields';

/**
 * `Live.CallbackAfterCreateRoomReachingThreshold` (https://trtc.io/document/70485): the app's
 * room count reached 70 % of its quota. The page types `CurRoomCount` as a String and
 * `MaxRoomCount` as an Array; its sample sends numbers. Both are accepted as integers or numeric
 * strings.
 */
export interface RoomThresholdCallback extends TencentCallback {
  Operator_Account?: string | number;
  CurRoomCount?: number;
  MaxRoomCount?: number;
}

export const roomThresholdSchema = callback<RoomThresholdCallback>({
  Operator_Account: account,
  CurRoomCount: total,
  MaxRoomCount: total,
});
