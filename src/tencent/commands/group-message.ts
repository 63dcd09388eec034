import type { TencentCallback } from './fields';
import { account, anyObject, callback, epochS, id, list, open, text, total } from './fields';

/**
 * A room message, as the Chat backend describes it to `Group.CallbackBeforeSendMsg`
 * (https://trtc.io/document/74347) and `Group.CallbackAfterSendMsg`
 * (https://trtc.io/document/74348). `GroupId` is the room's id (its IM group); `Type` is `Live`
 * for Live rooms. Both samples send `EventTime` as a string.
 */
export interface SendMsgCallback extends TencentCallback {
  GroupId: string | number;
  Type?: string;
  From_Account?: string | number;
  Operator_Account?: string | number;
  Random?: number;
  MsgId?: string;
  MsgBody?: {
    MsgType?: string;
    MsgContent?: Record<string, unknown>;
    [unknown: string]: unknown;
  }[];
  CloudCustomData?: string;
}

const messageKeys = {
  GroupId: id.required(),
  Type: text(64),
  From_Account: account,
  Operator_Account: account,
  Random: total,
  MsgId: text(1024),
  MsgBody: list(open({ MsgType: text(64), MsgContent: anyObject }), 1000),
  CloudCustomData: text(65536),
};

export const beforeSendMsgSchema = callback<SendMsgCallback>(messageKeys);

/** After-send adds the message's sequence number and its server time (seconds). */
export interface AfterSendMsgCallback extends SendMsgCallback {
  MsgSeq?: number;
  MsgTime?: number;
}

export const afterSendMsgSchema = callback<AfterSendMsgCallback>({
  ...messageKeys,
  MsgSeq: total,
  MsgTime: epochS,
});
