import type { FollowAddCallback, FollowDeleteCallback } from '../tencent/commands/follow';
import { followAddSchema, followDeleteSchema } from '../tencent/commands/follow';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idList, idText, objectList, unknownFields } from './normalize';

export const FOLLOW_ADDED_V1 = 'com.tencentcloud.live.follow.added.v1';
export const FOLLOW_DELETED_V1 = 'com.tencentcloud.live.follow.deleted.v1';

/** Data of `follow.added.v1`; JSON Schema: schemas/com.tencentcloud.live.follow.added.v1.json. */
export interface FollowAddedV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  fromAccount: string;
  followList: { toAccount: string | null; extensions: Extensions }[] | null;
  extensions: { callback: Extensions };
}

/** Data of `follow.deleted.v1`; JSON Schema: schemas/com.tencentcloud.live.follow.deleted.v1.json. */
export interface FollowDeletedV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  fromAccount: string;
  toAccount: string[] | null;
  extensions: { callback: Extensions };
}

const ADD_KEYS = namedKeys(followAddSchema);
const FOLLOWED_KEYS = namedKeys(followAddSchema, 'FollowList', '[]');
const DELETE_KEYS = namedKeys(followDeleteSchema);

/** Normalizes `Follow.CallbackAfterFollowAdd` (https://trtc.io/document/70355). */
export function normalizeFollowAdded(
  callback: FollowAddCallback,
  meta: ReceiptMetadata,
): FollowAddedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    fromAccount: String(callback.From_Account),
    followList: objectList(callback.FollowList, FOLLOWED_KEYS, (item) => ({
      toAccount: idText(item.To_Account),
    })),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, ADD_KEYS) },
  };
}

/** Normalizes `Follow.CallbackAfterFollowDelete` (https://trtc.io/document/70356). */
export function normalizeFollowDeleted(
  callback: FollowDeleteCallback,
  meta: ReceiptMetadata,
): FollowDeletedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    fromAccount: String(callback.From_Account),
    toAccount: idList(callback.To_Account),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, DELETE_KEYS) },
  };
}
