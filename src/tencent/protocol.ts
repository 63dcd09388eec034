/**
 * Facts of Tencent's Live callback protocol that the rest of the service relies on.
 * Source: ../shared/reference/tencent-live-webhooks.md §1.2–§1.4, §3.
 */

/** Callback commands of the Live family (TUILiveKit), as Tencent spells them. */
export const LIVE_COMMANDS = [
  'Live.CallbackAfterCreateRoom',
  'Live.CallbackAfterDestroyRoom',
  'Live.CallbackAfterUpdateRoomInfo',
  'Live.CallbackAfterSetMetadata',
  'Live.CallbackAfterDelMetadata',
  'Live.CallbackAfterCreateRoomReachingThreshold',
  'Live.CallbackAfterMemberStateChanged',
  'Live.CallbackMemberStateChanged',
  'Live.CallbackAfterChangeOwner',
  'Live.CallbackAfterModifyAdmin',
  'Mic.CallbackAfterSeatInfoChanged',
  'Live.CallbackAfterCreateBattle',
  'Live.CallbackAfterStartBattle',
  'Live.CallbackAfterEndBattle',
  'Live.CallbackBeforeSendGift',
  'Group.CallbackBeforeSendMsg',
  'Group.CallbackAfterSendMsg',
  'Follow.CallbackAfterFollowAdd',
  'Follow.CallbackAfterFollowDelete',
  'Live.CallbackAfterCloudRecordingChanged',
  'Follow.CallbackAfterCloudRecordingChanged',
] as const;

export const CREATE_ROOM_COMMAND = 'Live.CallbackAfterCreateRoom';

const knownCommands: ReadonlySet<string> = new Set(LIVE_COMMANDS);

/**
 * The value to use as a metric label for a command taken from an untrusted query string:
 * the command itself when Tencent documents it, `other` otherwise, so label sets stay bounded.
 */
export function commandLabel(command: string | undefined): string {
  if (command === undefined || command === '') return 'none';
  return knownCommands.has(command) ? command : 'other';
}

/** Tencent's response body for success. After-callbacks ignore it but require HTTP 200 + JSON. */
export const OK_BODY = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';

/** Tencent's response body for a refused callback: non-zero code and a short reason. */
export function failBody(errorCode: number, errorInfo: string): string {
  return JSON.stringify({ ActionStatus: 'FAIL', ErrorInfo: errorInfo, ErrorCode: errorCode });
}
