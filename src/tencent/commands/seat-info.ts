import Joi from 'joi';
import type { TencentCallback } from './fields';
import { account, callback, count, id, list, open } from './fields';

/**
 * `Mic.CallbackAfterSeatInfoChanged` (https://trtc.io/document/64425): a seat was taken, left,
 * locked or changed. `Member_Account` is absent for an empty seat, and a number in the vendor's
 * sample; `EventTime` is in the sample, not in the table. The page does not say whether
 * `SeatList` holds every seat or only those that changed.
 */
export interface SeatInfoCallback extends TencentCallback {
  RoomId: string | number;
  SeatList?: {
    Index?: number;
    Member_Account?: string | number;
    IsTakenDisabled?: boolean;
    IsVideoDisabled?: boolean;
    IsAudioDisabled?: boolean;
    [unknown: string]: unknown;
  }[];
}

export const seatInfoSchema = callback<SeatInfoCallback>({
  RoomId: id.required(),
  SeatList: list(
    open({
      Index: count,
      Member_Account: account,
      IsTakenDisabled: Joi.boolean(),
      IsVideoDisabled: Joi.boolean(),
      IsAudioDisabled: Joi.boolean(),
    }),
  ),
});
