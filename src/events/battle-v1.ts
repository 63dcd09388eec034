import type {
  BattleRoom,
  CreateBattleCallback,
  EndBattleCallback,
  StartBattleCallback,
} from '../tencent/commands/battle';
import { createBattleSchema, endBattleSchema, startBattleSchema } from '../tencent/commands/battle';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import {
  eventTail,
  idList,
  idText,
  isoSeconds,
  objectList,
  objectOf,
  orNull,
  unknownFields,
} from './normalize';

export const BATTLE_CREATED_V1 = 'com.tencentcloud.live.battle.created.v1';
export const BATTLE_STARTED_V1 = 'com.tencentcloud.live.battle.started.v1';
export const BATTLE_ENDED_V1 = 'com.tencentcloud.live.battle.ended.v1';

/** Data of `battle.created.v1`; JSON Schema: schemas/com.tencentcloud.live.battle.created.v1.json. */
export interface BattleCreatedV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  battleId: string;
  fromRoomId: string;
  toRoomIdList: string[] | null;
  operatorAccount: string | null;
  /** Milliseconds to wait for the invited rooms when `needResponse`. */
  timeout: number | null;
  /** Milliseconds the battle lasts once started. */
  duration: number | null;
  needResponse: boolean | null;
  extensionInfo: string | null;
  extensions: { callback: Extensions };
}

/** A room of a battle; `score` is sent once the battle has ended. */
export interface BattleRoomV1 {
  roomId: string;
  ownerAccount: string | null;
  score: number | null;
  extensions: Extensions;
}

/** Data of `battle.started.v1`; JSON Schema: schemas/com.tencentcloud.live.battle.started.v1.json. */
export interface BattleStartedV1 extends EventTail<'EventTime' | 'StartTime'> {
  sdkAppId: string;
  battleId: string;
  fromRoomInfo: BattleRoomV1;
  toRoomList: BattleRoomV1[] | null;
  duration: number | null;
  createTime: string | null;
  startTime: string | null;
  extensions: { callback: Extensions };
}

/** Data of `battle.ended.v1`; JSON Schema: schemas/com.tencentcloud.live.battle.ended.v1.json. */
export interface BattleEndedV1 extends EventTail<'EventTime' | 'EndTime'> {
  sdkAppId: string;
  battleId: string;
  fromRoomInfo: BattleRoomV1;
  toRoomList: BattleRoomV1[] | null;
  duration: number | null;
  createTime: string | null;
  startTime: string | null;
  endTime: string | null;
  opType: number | null;
  extensions: { callback: Extensions };
}

const CREATE_KEYS = namedKeys(createBattleSchema);
const START_KEYS = namedKeys(startBattleSchema);
const END_KEYS = namedKeys(endBattleSchema);
const ROOM_KEYS = namedKeys(startBattleSchema, 'FromRoomInfo');

const roomFields = (room: BattleRoom) => ({
  roomId: String(room.RoomId),
  ownerAccount: idText(room.Owner_Account),
  score: orNull(room.Score),
});

/** The battle's rooms, and its times shared by started and ended. */
function battleFields(callback: StartBattleCallback) {
  return {
    battleId: String(callback.BattleId),
    fromRoomInfo: objectOf(callback.FromRoomInfo, ROOM_KEYS, roomFields),
    toRoomList: objectList(callback.ToRoomList, ROOM_KEYS, roomFields),
    duration: orNull(callback.Duration),
    createTime: isoSeconds(callback.CreateTime),
    startTime: isoSeconds(callback.StartTime),
  };
}

/** Normalizes `Live.CallbackAfterCreateBattle` (https://trtc.io/document/68259). */
export function normalizeBattleCreated(
  callback: CreateBattleCallback,
  meta: ReceiptMetadata,
): BattleCreatedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    battleId: String(callback.BattleId),
    fromRoomId: String(callback.FromRoomId),
    toRoomIdList: idList(callback.ToRoomIdList),
    operatorAccount: idText(callback.Operator_Account),
    timeout: orNull(callback.Timeout),
    duration: orNull(callback.Duration),
    needResponse: orNull(callback.NeedResponse),
    extensionInfo: orNull(callback.ExtensionInfo),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, CREATE_KEYS) },
  };
}

/** Normalizes `Live.CallbackAfterStartBattle` (https://trtc.io/document/68260). */
export function normalizeBattleStarted(
  callback: StartBattleCallback,
  meta: ReceiptMetadata,
): BattleStartedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    ...battleFields(callback),
    ...eventTail(
      meta,
      ['EventTime', callback.EventTime, 'ms'],
      ['StartTime', callback.StartTime, 's'],
    ),
    extensions: { callback: unknownFields(callback, START_KEYS) },
  };
}

/** Normalizes `Live.CallbackAfterEndBattle` (https://trtc.io/document/68261). */
export function normalizeBattleEnded(
  callback: EndBattleCallback,
  meta: ReceiptMetadata,
): BattleEndedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    ...battleFields(callback),
    endTime: isoSeconds(callback.EndTime),
    opType: orNull(callback.OpType),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms'], ['EndTime', callback.EndTime, 's']),
    extensions: { callback: unknownFields(callback, END_KEYS) },
  };
}
