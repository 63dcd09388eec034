import type { TencentCallback } from './fields';
import { account, callback, id, list, open } from './fields';

/**
 * `Follow.CallbackAfterFollowAdd` (https://trtc.io/document/70355, listed for Live as
 * https://trtc.io/document/74356): `From_Account` followed the users of `FollowList`.
 */
export interface FollowAddCallback extends TencentCallback {
  From_Account: string | number;
  FollowList?: { To_Account?: string | number; [unknown: string]: unknown }[];
}

export const followAddSchema = callback<FollowAddCallback>({
  From_Account: id.required(),
  FollowList: list(open({ To_Account: account })),
});

/**
 * `Follow.CallbackAfterFollowDelete` (https://trtc.io/document/70356, listed for Live as
 * https://trtc.io/document/74357): `From_Account` unfollowed the users of `To_Account`, a flat
 * list unlike FollowAdd's.
 */
export interface FollowDeleteCallback extends TencentCallback {
  From_Account: string | number;
  To_Account?: (string | number)[];
}

export const followDeleteSchema = callback<FollowDeleteCallback>({
  From_Account: id.required(),
  To_Account: list(id),
});
