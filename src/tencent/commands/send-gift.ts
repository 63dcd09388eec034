import type { TencentCallback } from './fields';
import { account, callback, epochS, id, list, open, text, total } from './fields';

/**
 * `Live.CallbackBeforeSendGift` (https://trtc.io/document/72210): a user is about to send a gift
 * and waits for our answer. `GiftWater.Time` is seconds; `Coins` is the value of one gift per the
 * Chinese page. The sample has no `EventTime`.
 */
export interface SendGiftCallback extends TencentCallback {
  RoomId: string | number;
  Operator_Account?: string | number;
  GiftWater?: {
    From_Account?: string | number;
    To_Account?: (string | number)[];
    Time?: number;
    GiftId?: string;
    Count?: number;
    Coins?: number;
    [unknown: string]: unknown;
  };
}

export const sendGiftSchema = callback<SendGiftCallback>({
  RoomId: id.required(),
  Operator_Account: account,
  GiftWater: open({
    From_Account: account,
    To_Account: list(id),
    Time: epochS,
    GiftId: text(1024),
    Count: total,
    Coins: total,
  }),
});
