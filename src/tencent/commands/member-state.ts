import type { TencentCallback } from './fields';
import { account, callback, id, list, open, text } from './fields';

/**
 * `Live.CallbackAfterMemberStateChanged` (https://trtc.io/document/64424): members went online or
 * offline (`EventCause` `Enter`, `Leave`, `HeartbeatInterrupt`, `HeartbeatRecover`, and `Kicked`
 * in newer copies). Several of its parameter tables name the command
 * `Live.CallbackMemberStateChanged`; both spellings are accepted.
 */
export interface MemberStateCallback extends TencentCallback {
  RoomId: string | number;
  EventType?: string;
  EventCause?: string;
  MemberList?: { Member_Account?: string | number; [unknown: string]: unknown }[];
}

export const memberStateSchema = callback<MemberStateCallback>({
  RoomId: id.required(),
  EventType: text(64),
  EventCause: text(64),
  MemberList: list(open({ Member_Account: account })),
});
