import type { BattleCreatedV1, BattleEndedV1, BattleStartedV1 } from '../events/battle-v1';
import {
  BATTLE_CREATED_V1,
  BATTLE_ENDED_V1,
  BATTLE_STARTED_V1,
  normalizeBattleCreated,
  normalizeBattleEnded,
  normalizeBattleStarted,
} from '../events/battle-v1';
import {
  FOLLOW_ADDED_V1,
  FOLLOW_DELETED_V1,
  normalizeFollowAdded,
  normalizeFollowDeleted,
} from '../events/follow-v1';
import {
  GIFT_SEND_REQUESTED_V1,
  normalizeGiftSendRequested,
} from '../events/gift-send-requested-v1';
import {
  MEMBER_STATE_CHANGED_V1,
  normalizeMemberStateChanged,
} from '../events/member-state-changed-v1';
import {
  MESSAGE_SEND_REQUESTED_V1,
  MESSAGE_SENT_V1,
  normalizeMessageSendRequested,
  normalizeMessageSent,
} from '../events/message-v1';
import {
  METADATA_DELETED_V1,
  METADATA_SET_V1,
  normalizeMetadataDeleted,
  normalizeMetadataSet,
} from '../events/metadata-v1';
import type { EventData } from '../events/normalize';
import {
  ADMIN_CHANGED_V1,
  OWNER_CHANGED_V1,
  normalizeAdminChanged,
  normalizeOwnerChanged,
} from '../events/owner-admin-v1';
import { RECORDING_CHANGED_V1, normalizeRecordingChanged } from '../events/recording-changed-v1';
import { ROOM_CREATED_V1, normalizeRoomCreated, roomCreatedId } from '../events/room-created-v1';
import { ROOM_DESTROYED_V1, normalizeRoomDestroyed } from '../events/room-destroyed-v1';
import { ROOM_UPDATED_V1, normalizeRoomUpdated } from '../events/room-updated-v1';
import {
  ROOMQUOTA_THRESHOLD_REACHED_V1,
  normalizeRoomQuotaThresholdReached,
} from '../events/roomquota-v1';
import { SEAT_CHANGED_V1, normalizeSeatChanged } from '../events/seat-changed-v1';
import { createBattleSchema, endBattleSchema, startBattleSchema } from '../tencent/commands/battle';
import { cloudRecordingSchema } from '../tencent/commands/cloud-recording';
import { createRoomSchema } from '../tencent/commands/create-room';
import { destroyRoomSchema } from '../tencent/commands/destroy-room';
import { followAddSchema, followDeleteSchema } from '../tencent/commands/follow';
import { afterSendMsgSchema, beforeSendMsgSchema } from '../tencent/commands/group-message';
import { memberStateSchema } from '../tencent/commands/member-state';
import { delMetadataSchema, setMetadataSchema } from '../tencent/commands/metadata';
import { changeOwnerSchema, modifyAdminSchema } from '../tencent/commands/owner-admin';
import { roomThresholdSchema } from '../tencent/commands/room-threshold';
import { seatInfoSchema } from '../tencent/commands/seat-info';
import { sendGiftSchema } from '../tencent/commands/send-gift';
import { updateRoomInfoSchema } from '../tencent/commands/update-room-info';
import type { Command, Keying } from './command';
import { afterCommand, beforeCommand } from './command';

/** Room events: one room's life stays in order on one partition. */
const byRoom: Keying<EventData & { roomId: string }> = {
  doc: '<SdkAppid>:<RoomId>',
  subjectDoc: 'RoomId',
  key: (data) => `${data.sdkAppId}:${data.roomId}`,
  subject: (data) => data.roomId,
};

/** Room messages: `GroupId` is the Live room's id, so they share its room's partition. */
const byGroup: Keying<EventData & { groupId: string }> = {
  doc: '<SdkAppid>:<GroupId>',
  subjectDoc: 'GroupId',
  key: (data) => `${data.sdkAppId}:${data.groupId}`,
  subject: (data) => data.groupId,
};

/**
 * Battles are keyed by the room that started them: its three events stay in order, and in
 * order with that room's own life (created → battle → destroyed). The invited rooms' events are
 * on their own keys. Subject: the battle id.
 */
const byBattle = <D extends EventData & { battleId: string }>(
  doc: string,
  fromRoom: (data: D) => string,
): Keying<D> => ({
  doc: `<SdkAppid>:<${doc}>`,
  subjectDoc: 'BattleId',
  key: (data) => `${data.sdkAppId}:${fromRoom(data)}`,
  subject: (data) => data.battleId,
});
const fromRoomInfo = (data: BattleStartedV1 | BattleEndedV1) => data.fromRoomInfo.roomId;

/**
 * Follow events are keyed by the follower: one user's follows and unfollows stay in order (an
 * unfollow never overtakes its follow). `user:` keeps user keys apart from room keys.
 */
const byFollower: Keying<EventData & { fromAccount: string }> = {
  doc: '<SdkAppid>:user:<From_Account>',
  subjectDoc: 'From_Account',
  key: (data) => `${data.sdkAppId}:user:${data.fromAccount}`,
  subject: (data) => data.fromAccount,
};

/** App-wide events (the room quota): one partition per app. Subject: the app. */
const byApp: Keying<EventData> = {
  doc: '<SdkAppid>',
  subjectDoc: 'SdkAppid',
  key: (data) => data.sdkAppId,
  subject: (data) => data.sdkAppId,
};

/**
 * Every callback command the bridge knows, one row each: the names Tencent sends → the body's
 * joi schema → the normalizer → the CloudEvents type → the Kafka key. The topic is `kafka.topic`,
 * or `kafka.topicByEntity[<entity of the type>]`. The receiver, the `command` metric label, the
 * config's checks, the README's command table and docs/events.md all read this list: adding a
 * command is its schema and normalizer files, a JSON Schema in schemas/, and one row here.
 * Command list: https://trtc.io/document/64413.
 */
export const COMMAND_TABLE: readonly Command[] = [
  afterCommand({
    commands: ['Live.CallbackAfterCreateRoom'],
    docUrl: 'https://trtc.io/document/64422',
    schema: createRoomSchema,
    normalize: normalizeRoomCreated,
    id: roomCreatedId,
    type: ROOM_CREATED_V1,
    keying: byRoom,
  }),
  afterCommand({
    commands: ['Live.CallbackAfterDestroyRoom'],
    docUrl: 'https://trtc.io/document/64423',
    schema: destroyRoomSchema,
    normalize: normalizeRoomDestroyed,
    type: ROOM_DESTROYED_V1,
    keying: byRoom,
  }),
  afterCommand({
    commands: ['Live.CallbackAfterUpdateRoomInfo'],
    docUrl: 'https://trtc.io/document/67938',
    schema: updateRoomInfoSchema,
    normalize: normalizeRoomUpdated,
    type: ROOM_UPDATED_V1,
    keying: byRoom,
  }),
  afterCommand({
    commands: ['Live.CallbackAfterSetMetadata'],
    docUrl: 'https://trtc.io/document/68222',
    schema: setMetadataSchema,
    normalize: normalizeMetadataSet,
    type: METADATA_SET_V1,
    keying: byRoom,
  }),
  afterCommand({
    commands: ['Live.CallbackAfterDelMetadata'],
    docUrl: 'https://trtc.io/document/68223',
    schema: delMetadataSchema,
    normalize: normalizeMetadataDeleted,
    type: METADATA_DELETED_V1,
    keying: byRoom,
  }),
  afterCommand({
    commands: ['Live.CallbackAfterCreateRoomReachingThreshold'],
    docUrl: 'https://trtc.io/document/70485',
    schema: roomThresholdSchema,
    normalize: normalizeRoomQuotaThresholdReached,
    type: ROOMQUOTA_THRESHOLD_REACHED_V1,
    keying: byApp,
  }),
  afterCommand({
    commands: ['Live.CallbackAfterMemberStateChanged', 'Live.CallbackMemberStateChanged'],
    docUrl: 'https://trtc.io/document/64424',
    schema: memberStateSchema,
    normalize: normalizeMemberStateChanged,
    type: MEMBER_STATE_CHANGED_V1,
    keying: byRoom,
  }),
  afterCommand({
    commands: ['Live.CallbackAfterChangeOwner'],
    docUrl: 'https://trtc.io/document/72553',
    schema: changeOwnerSchema,
    normalize: normalizeOwnerChanged,
    type: OWNER_CHANGED_V1,
    keying: byRoom,
  }),
  afterCommand({
    commands: ['Live.CallbackAfterModifyAdmin'],
    docUrl: 'https://trtc.io/document/72554',
    schema: modifyAdminSchema,
    normalize: normalizeAdminChanged,
    type: ADMIN_CHANGED_V1,
    keying: byRoom,
  }),
  afterCommand({
    commands: ['Mic.CallbackAfterSeatInfoChanged'],
    docUrl: 'https://trtc.io/document/64425',
    schema: seatInfoSchema,
    normalize: normalizeSeatChanged,
    type: SEAT_CHANGED_V1,
    keying: byRoom,
  }),
  afterCommand({
    commands: ['Live.CallbackAfterCreateBattle'],
    docUrl: 'https://trtc.io/document/68259',
    schema: createBattleSchema,
    normalize: normalizeBattleCreated,
    type: BATTLE_CREATED_V1,
    keying: byBattle('FromRoomId', (data: BattleCreatedV1) => data.fromRoomId),
  }),
  afterCommand({
    commands: ['Live.CallbackAfterStartBattle'],
    docUrl: 'https://trtc.io/document/68260',
    schema: startBattleSchema,
    normalize: normalizeBattleStarted,
    type: BATTLE_STARTED_V1,
    keying: byBattle('FromRoomInfo.RoomId', fromRoomInfo),
  }),
  afterCommand({
    commands: ['Live.CallbackAfterEndBattle'],
    docUrl: 'https://trtc.io/document/68261',
    schema: endBattleSchema,
    normalize: normalizeBattleEnded,
    type: BATTLE_ENDED_V1,
    keying: byBattle('FromRoomInfo.RoomId', fromRoomInfo),
  }),
  afterCommand({
    commands: ['Group.CallbackAfterSendMsg'],
    docUrl: 'https://trtc.io/document/74348',
    schema: afterSendMsgSchema,
    normalize: normalizeMessageSent,
    type: MESSAGE_SENT_V1,
    keying: byGroup,
  }),
  afterCommand({
    commands: ['Follow.CallbackAfterFollowAdd'],
    docUrl: 'https://trtc.io/document/70355',
    schema: followAddSchema,
    normalize: normalizeFollowAdded,
    type: FOLLOW_ADDED_V1,
    keying: byFollower,
  }),
  afterCommand({
    commands: ['Follow.CallbackAfterFollowDelete'],
    docUrl: 'https://trtc.io/document/70356',
    schema: followDeleteSchema,
    normalize: normalizeFollowDeleted,
    type: FOLLOW_DELETED_V1,
    keying: byFollower,
  }),
  afterCommand({
    commands: [
      'Live.CallbackAfterCloudRecordingChanged',
      'Follow.CallbackAfterCloudRecordingChanged',
    ],
    docUrl: 'https://trtc.io/document/78428',
    schema: cloudRecordingSchema,
    normalize: normalizeRecordingChanged,
    type: RECORDING_CHANGED_V1,
    keying: byRoom,
  }),
  beforeCommand({
    commands: ['Live.CallbackBeforeSendGift'],
    docUrl: 'https://trtc.io/document/72210',
    schema: sendGiftSchema,
    normalize: normalizeGiftSendRequested,
    type: GIFT_SEND_REQUESTED_V1,
    keying: byRoom,
    // any non-zero ErrorCode blocks the gift
    verdicts: { allow: 0, block: 1 },
  }),
  beforeCommand({
    commands: ['Group.CallbackBeforeSendMsg'],
    docUrl: 'https://trtc.io/document/74347',
    schema: beforeSendMsgSchema,
    normalize: normalizeMessageSendRequested,
    type: MESSAGE_SEND_REQUESTED_V1,
    keying: byGroup,
    // 1: refused, the sender gets error 10016; 2: dropped silently, the sender sees success
    verdicts: { allow: 0, reject: 1, discard: 2 },
  }),
];

const BY_NAME: ReadonlyMap<string, Command> = new Map(
  COMMAND_TABLE.flatMap((command) => command.commands.map((name) => [name, command] as const)),
);

/** The row for a `CallbackCommand`, or undefined when the bridge has no event for it. */
export function commandFor(name: string): Command | undefined {
  return BY_NAME.get(name);
}

/** Every command name of the table, in table order (aliases after their row's first name). */
export const COMMAND_NAMES: readonly string[] = [...BY_NAME.keys()];

/** The entities of the table's event types, for `kafka.topicByEntity`. */
export const ENTITIES: readonly string[] = [
  ...new Set(COMMAND_TABLE.map((command) => command.entity)),
];

/** Before-callbacks by name, with the verdicts each can be configured to answer. */
export const BEFORE_COMMANDS: ReadonlyMap<string, Readonly<Record<string, number>>> = new Map(
  COMMAND_TABLE.flatMap((command) =>
    command.verdicts === undefined
      ? []
      : command.commands.map((name) => [name, command.verdicts!] as const),
  ),
);

/**
 * The value to use as the `command` metric label for a command taken from an untrusted query
 * string: the command itself when the table has it, `other` otherwise (`none` when absent), so
 * label sets stay bounded.
 */
export function commandLabel(command: string | undefined): string {
  if (command === undefined || command === '') return 'none';
  return BY_NAME.has(command) ? command : 'other';
}
