import Joi from 'joi';
import type { TencentCallback } from './fields';
import { account, callback, code, epochS, id, list, open, text, total } from './fields';

/**
 * `Live.CallbackAfterCreateBattle` (https://trtc.io/document/68259): a host invited other rooms
 * to a battle. `Timeout` and `Duration` are milliseconds.
 */
export interface CreateBattleCallback extends TencentCallback {
  BattleId: string | number;
  FromRoomId: string | number;
  Operator_Account?: string | number;
  ToRoomIdList?: (string | number)[];
  Timeout?: number;
  Duration?: number;
  NeedResponse?: boolean;
  ExtensionInfo?: string;
}

export const createBattleSchema = callback<CreateBattleCallback>({
  BattleId: id.required(),
  FromRoomId: id.required(),
  Operator_Account: account,
  ToRoomIdList: list(id),
  Timeout: total,
  Duration: total,
  NeedResponse: Joi.boolean(),
  ExtensionInfo: text(16384),
});

/** A room of a running battle; `Score` only once it has ended. */
export interface BattleRoom {
  RoomId: string | number;
  Owner_Account?: string | number;
  Score?: number;
  [unknown: string]: unknown;
}

const battleRoom = open<BattleRoom>({ RoomId: id.required(), Owner_Account: account, Score: code });

/**
 * `Live.CallbackAfterStartBattle` (https://trtc.io/document/68260): the battle began.
 * `CreateTime` and `StartTime` are seconds; the page types `FromRoomInfo` as a String, its sample
 * sends an object.
 */
export interface StartBattleCallback extends TencentCallback {
  BattleId: string | number;
  FromRoomInfo: BattleRoom;
  ToRoomList?: BattleRoom[];
  Duration?: number;
  CreateTime?: number;
  StartTime?: number;
}

const startKeys = {
  BattleId: id.required(),
  FromRoomInfo: battleRoom.required(),
  ToRoomList: list(battleRoom),
  Duration: total,
  CreateTime: epochS,
  StartTime: epochS,
};

export const startBattleSchema = callback<StartBattleCallback>(startKeys);

/**
 * `Live.CallbackAfterEndBattle` (https://trtc.io/document/68261): the battle ended. `OpType` 0:
 * time ran out; 1: every host left after the start; 2: nobody joined. The sample sends
 * `Owner_Account` as 18-digit numbers.
 */
export interface EndBattleCallback extends StartBattleCallback {
  EndTime?: number;
  OpType?: number;
}

export const endBattleSchema = callback<EndBattleCallback>({
  ...startKeys,
  EndTime: epochS,
  OpType: code,
});
