import { hash } from 'node:crypto';
import type { CreateRoomCallback } from '../tencent/commands/create-room';
import type { CloudEventAttributes } from './cloudevents';
import { deterministicId, eventSource } from './cloudevents';
import { isoTime as iso } from './time';

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
export interface RoomCreatedV1 {
  sdkAppId: string;
  roomId: string;
  roomName: string | null;
  roomType: string | null;
  ownerAccount: string | null;
  operatorAccount: string | null;
  maxMemberCount: number | null;
  isMessageDisabled: boolean | null;
  customInfo: string | null;
  isSeatEnabled: boolean | null;
  maxSeatCount: number | null;
  takeSeatMode: string | null;
  createTime: string | null;
  isPublicVisible: boolean | null;
  coverUrl: string | null;
  category: number[] | null;
  eventTime: string;
  eventTimeSource: EventTimeSource;
  receivedAt: string;
  clientIp: string | null;
  optPlatform: string | null;
  extensions: { callback: Record<string, unknown>; roomInfo: Record<string, unknown> };
}

export interface ReceiptMetadata {
  sdkAppId: string;
  command: string;
  receivedAtMs: number;
  clientIp: string | undefined;
  optPlatform: string | undefined;
  /** The raw body: the id falls back to its hash when the callback carries no times. */
  rawBody: Buffer;
}

const KNOWN_CALLBACK_KEYS = new Set([
  'CallbackCommand',
  'Operator_Account',
  'EventTime',
  'RoomInfo',
]);
const KNOWN_ROOM_KEYS = new Set([
  'RoomId',
  'RoomName',
  'RoomType',
  'Owner_Account',
  'MaxMemberCount',
  'IsMessageDisabled',
  'CustomInfo',
  'IsSeatEnabled',
  'MaxSeatCount',
  'TakeSeatMode',
  'CreateTime',
  'IsPublicVisible',
  'CoverURL',
  'Category',
  'EventTime',
]);

function unknownFields(
  source: Record<string, unknown>,
  known: ReadonlySet<string>,
): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(source)) if (!known.has(key)) rest[key] = source[key];
  return rest;
}

const text = (value: string | number | undefined): string | null =>
  value === undefined ? null : String(value);
const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

function eventTimeOf(
  callback: CreateRoomCallback,
  receivedAtMs: number,
): { ms: number; source: EventTimeSource } {
  if (callback.EventTime !== undefined) return { ms: callback.EventTime, source: 'EventTime' };
  const room = callback.RoomInfo;
  if (room.EventTime !== undefined) return { ms: room.EventTime, source: 'RoomInfo.EventTime' };
  if (room.CreateTime !== undefined) {
    return { ms: room.CreateTime * 1000, source: 'RoomInfo.CreateTime' };
  }
  return { ms: receivedAtMs, source: 'receivedAt' };
}

/**
 * Normalizes a validated `Live.CallbackAfterCreateRoom` into the v1 event.
 * Pure: the same callback and metadata always give the same event.
 */
export function normalizeRoomCreated(
  callback: CreateRoomCallback,
  meta: ReceiptMetadata,
  dataSchemaBaseUrl: string,
): { attributes: CloudEventAttributes; data: RoomCreatedV1 } {
  const room = callback.RoomInfo;
  const time = eventTimeOf(callback, meta.receivedAtMs);
  const eventTimeRaw = callback.EventTime ?? room.EventTime;
  const identity =
    room.CreateTime !== undefined || eventTimeRaw !== undefined
      ? [String(room.CreateTime ?? ''), String(eventTimeRaw ?? '')]
      : ['body-sha256', hash('sha256', meta.rawBody, 'hex')];
  const data: RoomCreatedV1 = {
    sdkAppId: meta.sdkAppId,
    roomId: room.RoomId,
    roomName: orNull(room.RoomName),
    roomType: orNull(room.RoomType),
    ownerAccount: text(room.Owner_Account),
    operatorAccount: text(callback.Operator_Account),
    maxMemberCount: orNull(room.MaxMemberCount),
    isMessageDisabled: orNull(room.IsMessageDisabled),
    customInfo: orNull(room.CustomInfo),
    isSeatEnabled: orNull(room.IsSeatEnabled),
    maxSeatCount: orNull(room.MaxSeatCount),
    takeSeatMode: orNull(room.TakeSeatMode),
    createTime: room.CreateTime === undefined ? null : iso(room.CreateTime * 1000),
    isPublicVisible: orNull(room.IsPublicVisible),
    coverUrl: orNull(room.CoverURL),
    category: orNull(room.Category),
    eventTime: iso(time.ms),
    eventTimeSource: time.source,
    receivedAt: iso(meta.receivedAtMs),
    clientIp: orNull(meta.clientIp),
    optPlatform: orNull(meta.optPlatform),
    extensions: {
      callback: unknownFields(callback, KNOWN_CALLBACK_KEYS),
      roomInfo: unknownFields(room, KNOWN_ROOM_KEYS),
    },
  };
  const attributes: CloudEventAttributes = {
    specversion: '1.0',
    id: deterministicId([meta.sdkAppId, meta.command, room.RoomId, ...identity]),
    source: eventSource(meta.sdkAppId),
    type: ROOM_CREATED_V1,
    subject: room.RoomId,
    time: data.eventTime,
    dataschema: `${dataSchemaBaseUrl}/${ROOM_CREATED_V1}.json`,
    datacontenttype: 'application/json',
  };
  return { attributes, data };
}
