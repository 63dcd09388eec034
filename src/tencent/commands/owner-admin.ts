import type { TencentCallback } from './fields';
import { account, callback, id, list, text } from './fields';

/** `Live.CallbackAfterChangeOwner` (https://trtc.io/document/72553): the room's owner changed. */
export interface ChangeOwnerCallback extends TencentCallback {
  RoomId: string | number;
  CurrentOwner_Account?: string | number;
  OriginalOwner_Account?: string | number;
  Operator_Account?: string | number;
}

export const changeOwnerSchema = callback<ChangeOwnerCallback>({
  RoomId: id.required(),
  CurrentOwner_Account: account,
  OriginalOwner_Account: account,
  Operator_Account: account,
});

/**
 * `Live.CallbackAfterModifyAdmin` (https://trtc.io/document/72554): admins added or removed
 * (`opType` `add` or `delete`; the key is lower-case on the vendor's page).
 */
export interface ModifyAdminCallback extends TencentCallback {
  RoomId: string | number;
  Admin_Account?: (string | number)[];
  opType?: string;
  Operator_Account?: string | number;
}

export const modifyAdminSchema = callback<ModifyAdminCallback>({
  RoomId: id.required(),
  Admin_Account: list(id),
  opType: text(64),
  Operator_Account: account,
});
