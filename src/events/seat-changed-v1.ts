import type { SeatInfoCallback } from '../tencent/commands/seat-info';
import { seatInfoSchema } from '../tencent/commands/seat-info';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idText, objectList, orNull, unknownFields } from './normalize';

export const SEAT_CHANGED_V1 = 'com.tencentcloud.live.seat.changed.v1';

/** Data of `seat.changed.v1`; JSON Schema: schemas/com.tencentcloud.live.seat.changed.v1.json. */
export interface SeatChangedV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  roomId: string;
  seatList:
    | {
        index: number | null;
        memberAccount: string | null;
        isTakenDisabled: boolean | null;
        isVideoDisabled: boolean | null;
        isAudioDisabled: boolean | null;
        extensions: Extensions;
      }[]
    | null;
  extensions: { callback: Extensions };
}

const KEYS = namedKeys(seatInfoSchema);
const SEAT_KEYS = namedKeys(seatInfoSchema, 'SeatList', '[]');

/** Normalizes `Mic.CallbackAfterSeatInfoChanged` (https://trtc.io/document/64425). */
export function normalizeSeatChanged(
  callback: SeatInfoCallback,
  meta: ReceiptMetadata,
): SeatChangedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(callback.RoomId),
    seatList: objectList(callback.SeatList, SEAT_KEYS, (seat) => ({
      index: orNull(seat.Index),
      memberAccount: idText(seat.Member_Account),
      isTakenDisabled: orNull(seat.IsTakenDisabled),
      isVideoDisabled: orNull(seat.IsVideoDisabled),
      isAudioDisabled: orNull(seat.IsAudioDisabled),
    })),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, KEYS) },
  };
}
