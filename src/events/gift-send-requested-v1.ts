import type { SendGiftCallback } from '../tencent/commands/send-gift';
import { sendGiftSchema } from '../tencent/commands/send-gift';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idList, idText, isoSeconds, orNull, unknownFields } from './normalize';

export const GIFT_SEND_REQUESTED_V1 = 'com.tencentcloud.live.gift.send_requested.v1';

/**
 * Data of `gift.send_requested.v1`, the observation of a before-callback: the gift a user was
 * about to send, and the verdict the bridge answered.
 * JSON Schema: schemas/com.tencentcloud.live.gift.send_requested.v1.json.
 */
export interface GiftSendRequestedV1 extends EventTail<'EventTime' | 'GiftWater.Time'> {
  sdkAppId: string;
  roomId: string;
  operatorAccount: string | null;
  fromAccount: string | null;
  toAccount: string[] | null;
  time: string | null;
  giftId: string | null;
  count: number | null;
  coins: number | null;
  verdict: string;
  extensions: { callback: Extensions; giftWater: Extensions };
}

const KEYS = namedKeys(sendGiftSchema);
const GIFT_KEYS = namedKeys(sendGiftSchema, 'GiftWater');

/** Normalizes `Live.CallbackBeforeSendGift` (https://trtc.io/document/72210). */
export function normalizeGiftSendRequested(
  callback: SendGiftCallback,
  meta: ReceiptMetadata,
  verdict: string,
): GiftSendRequestedV1 {
  const gift = callback.GiftWater;
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(callback.RoomId),
    operatorAccount: idText(callback.Operator_Account),
    fromAccount: idText(gift?.From_Account),
    toAccount: idList(gift?.To_Account),
    time: isoSeconds(gift?.Time),
    giftId: orNull(gift?.GiftId),
    count: orNull(gift?.Count),
    coins: orNull(gift?.Coins),
    verdict,
    ...eventTail(
      meta,
      ['EventTime', callback.EventTime, 'ms'],
      ['GiftWater.Time', gift?.Time, 's'],
    ),
    extensions: {
      callback: unknownFields(callback, KEYS),
      giftWater: unknownFields(gift, GIFT_KEYS),
    },
  };
}
