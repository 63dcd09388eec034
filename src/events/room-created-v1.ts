import { hash } from 'node:crypto';
import type { CreateRoomCallback } from '../tencent/commands/create-room';
import { createRoomSchema } from '../tencent/commands/create-room';
import { namedKeys } from '../tencent/commands/validator';
import { deterministicId } from './cloudevents';
import type { EventTail, ReceiptMetadata } from './normalize';
import { eventTail, idText, isoSeconds, orNull, unknownFields } from './normalize';
import type { RoomInfoV1 } from './room-info';

/** CloudEvents `type` of a created room, major version 1. A breaking change is a new `.v2`. */
export const ROOM_CREATED_V1 = 'com.tencentcloud.live.room.created.v1';

/** Which input gave the event its `time` (documented in schemas/, so consumers can tell). */
export type EventTimeSource =
  'EventTime' | 'RoomInfo.EventTime' | 'RoomInfo.CreateTime' | 'receivedAt';

/**
 * The data of `com.tencentcloud.live.room.created.v1`: every field of Tencent's table in
 * camelCase, ids as strings, times as RFC 3339, `null` where Tencent sent nothing, plus receipt
 * metadata and every field we do not know under `extensions`. JSON Schema:
 * schemas/com.tencentcloud.live.room.created.v1.json.
 */
export interface RoomCreatedV1
  extends
    Omit<RoomInfoV1, 'activityStatus' | 'viewCount' | 'backgroundUrl' | 'isUnlimitedRoomEnabled'>,
    EventTail<EventTimeSource> {
  sdkAppId: string;
  roomId: string;
  operatorAccount: string | null;
  extensions: { callback: Record<string, unknown>; roomInfo: Record<string, unknown> };
}

const KNOWN_CALLBACK_KEYS = namedKeys(createRoomSchema);
const KNOWN_ROOM_KEYS = namedKeys(createRoomSchema, 'RoomInfo');

/**
 * Normalizes a validated `Live.CallbackAfterCreateRoom` (https://trtc.io/document/64422) into
 * the v1 data. `EventTime` may sit at the top level or inside `RoomInfo` depending on the page;
 * without either, the room's `CreateTime` (seconds) is the event time, else the receipt time.
 * Pure: the same callback and metadata always give the same data.
 */
export function normalizeRoomCreated(
  callback: CreateRoomCallback,
  meta: ReceiptMetadata,
): RoomCreatedV1 {
  const room = callback.RoomInfo;
  return {
    sdkAppId: meta.sdkAppId,
    roomId: room.RoomId,
    roomName: orNull(room.RoomName),
    roomType: orNull(room.RoomType),
    ownerAccount: idText(room.Owner_Account),
    operatorAccount: idText(callback.Operator_Account),
    maxMemberCount: orNull(room.MaxMemberCount),
    isMessageDisabled: orNull(room.IsMessageDisabled),
    customInfo: orNull(room.CustomInfo),
    isSeatEnabled: orNull(room.IsSeatEnabled),
    maxSeatCount: orNull(room.MaxSeatCount),
    takeSeatMode: orNull(room.TakeSeatMode),
    createTime: isoSeconds(room.CreateTime),
    isPublicVisible: orNull(room.IsPublicVisible),
    coverUrl: orNull(room.CoverURL),
    category: orNull(room.Category),
    ...eventTail<EventTimeSource>(
      meta,
      ['EventTime', callback.EventTime, 'ms'],
      ['RoomInfo.EventTime', room.EventTime, 'ms'],
      ['RoomInfo.CreateTime', room.CreateTime, 's'],
    ),
    extensions: {
      callback: unknownFields(callback, KNOWN_CALLBACK_KEYS),
      roomInfo: unknownFields(room, KNOWN_ROOM_KEYS),
    },
  };
}

/**
 * The id of a created room, as published since the first release: SHA-256 over app, command,
 * room id, `CreateTime` and `EventTime` (raw-body hash when the callback carries neither).
 */
export function roomCreatedId(callback: CreateRoomCallback, meta: ReceiptMetadata): string {
  const room = callback.RoomInfo;
  const eventTimeRaw = callback.EventTime ?? room.EventTime;
  const identity =
    room.CreateTime !== undefined || eventTimeRaw !== undefined
      ? [String(room.CreateTime ?? ''), String(eventTimeRaw ?? '')]
      : ['body-sha256', hash('sha256', meta.rawBody, 'hex')];
  return deterministicId([meta.sdkAppId, meta.command, room.RoomId, ...identity]);
}
