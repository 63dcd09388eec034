import type { AfterSendMsgCallback, SendMsgCallback } from '../tencent/commands/group-message';
import { afterSendMsgSchema, beforeSendMsgSchema } from '../tencent/commands/group-message';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idText, isoSeconds, objectList, orNull, unknownFields } from './normalize';

export const MESSAGE_SENT_V1 = 'com.tencentcloud.live.message.sent.v1';
export const MESSAGE_SEND_REQUESTED_V1 = 'com.tencentcloud.live.message.send_requested.v1';

/** A room message's fields, shared by the sent and send-requested events. */
export interface MessageV1 {
  sdkAppId: string;
  /** `GroupId`: the room's IM group, which is the Live room id. */
  groupId: string;
  type: string | null;
  fromAccount: string | null;
  operatorAccount: string | null;
  random: number | null;
  msgId: string | null;
  /** Message elements; `msgContent` exactly as sent (its keys depend on `msgType`). */
  msgBody: { msgType: string | null; msgContent: object | null; extensions: Extensions }[] | null;
  cloudCustomData: string | null;
}

/** Data of `message.sent.v1`; JSON Schema: schemas/com.tencentcloud.live.message.sent.v1.json. */
export interface MessageSentV1 extends MessageV1, EventTail<'EventTime' | 'MsgTime'> {
  msgSeq: number | null;
  msgTime: string | null;
  extensions: { callback: Extensions };
}

/**
 * Data of `message.send_requested.v1`, the observation of a before-callback: the message a user
 * was about to send, and the verdict the bridge answered.
 * JSON Schema: schemas/com.tencentcloud.live.message.send_requested.v1.json.
 */
export interface MessageSendRequestedV1 extends MessageV1, EventTail<'EventTime'> {
  verdict: string;
  extensions: { callback: Extensions };
}

const BEFORE_KEYS = namedKeys(beforeSendMsgSchema);
const AFTER_KEYS = namedKeys(afterSendMsgSchema);
const ELEMENT_KEYS = namedKeys(beforeSendMsgSchema, 'MsgBody', '[]');

function messageFields(callback: SendMsgCallback, meta: ReceiptMetadata): MessageV1 {
  return {
    sdkAppId: meta.sdkAppId,
    groupId: String(callback.GroupId),
    type: orNull(callback.Type),
    fromAccount: idText(callback.From_Account),
    operatorAccount: idText(callback.Operator_Account),
    random: orNull(callback.Random),
    msgId: orNull(callback.MsgId),
    msgBody: objectList(callback.MsgBody, ELEMENT_KEYS, (element) => ({
      msgType: orNull(element.MsgType),
      msgContent: orNull(element.MsgContent),
    })),
    cloudCustomData: orNull(callback.CloudCustomData),
  };
}

/** Normalizes `Group.CallbackAfterSendMsg` for Live rooms (https://trtc.io/document/74348). */
export function normalizeMessageSent(
  callback: AfterSendMsgCallback,
  meta: ReceiptMetadata,
): MessageSentV1 {
  return {
    ...messageFields(callback, meta),
    msgSeq: orNull(callback.MsgSeq),
    msgTime: isoSeconds(callback.MsgTime),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms'], ['MsgTime', callback.MsgTime, 's']),
    extensions: { callback: unknownFields(callback, AFTER_KEYS) },
  };
}

/** Normalizes `Group.CallbackBeforeSendMsg` for Live rooms (https://trtc.io/document/74347). */
export function normalizeMessageSendRequested(
  callback: SendMsgCallback,
  meta: ReceiptMetadata,
  verdict: string,
): MessageSendRequestedV1 {
  return {
    ...messageFields(callback, meta),
    verdict,
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, BEFORE_KEYS) },
  };
}
