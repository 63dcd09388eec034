import type { MemberStateCallback } from '../tencent/commands/member-state';
import { memberStateSchema } from '../tencent/commands/member-state';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idText, objectList, orNull, unknownFields } from './normalize';

export const MEMBER_STATE_CHANGED_V1 = 'com.tencentcloud.live.member.state_changed.v1';

/**
 * Data of `member.state_changed.v1`: members went online or offline.
 * JSON Schema: schemas/com.tencentcloud.live.member.state_changed.v1.json.
 */
export interface MemberStateChangedV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  roomId: string;
  eventType: string | null;
  eventCause: string | null;
  memberList: { memberAccount: string | null; extensions: Extensions }[] | null;
  extensions: { callback: Extensions };
}

const KEYS = namedKeys(memberStateSchema);
const MEMBER_KEYS = namedKeys(memberStateSchema, 'MemberList', '[]');

/**
 * Normalizes `Live.CallbackAfterMemberStateChanged` and its other spelling
 * `Live.CallbackMemberStateChanged` (https://trtc.io/document/64424).
 */
export function normalizeMemberStateChanged(
  callback: MemberStateCallback,
  meta: ReceiptMetadata,
): MemberStateChangedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(callback.RoomId),
    eventType: orNull(callback.EventType),
    eventCause: orNull(callback.EventCause),
    memberList: objectList(callback.MemberList, MEMBER_KEYS, (member) => ({
      memberAccount: idText(member.Member_Account),
    })),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, KEYS) },
  };
}
