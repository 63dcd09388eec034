import type { ChangeOwnerCallback, ModifyAdminCallback } from '../tencent/commands/owner-admin';
import { changeOwnerSchema, modifyAdminSchema } from '../tencent/commands/owner-admin';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idList, idText, orNull, unknownFields } from './normalize';

export const OWNER_CHANGED_V1 = 'com.tencentcloud.live.owner.changed.v1';
export const ADMIN_CHANGED_V1 = 'com.tencentcloud.live.admin.changed.v1';

/** Data of `owner.changed.v1`; JSON Schema: schemas/com.tencentcloud.live.owner.changed.v1.json. */
export interface OwnerChangedV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  roomId: string;
  currentOwnerAccount: string | null;
  originalOwnerAccount: string | null;
  operatorAccount: string | null;
  extensions: { callback: Extensions };
}

/** Data of `admin.changed.v1`; JSON Schema: schemas/com.tencentcloud.live.admin.changed.v1.json. */
export interface AdminChangedV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  roomId: string;
  adminAccount: string[] | null;
  opType: string | null;
  operatorAccount: string | null;
  extensions: { callback: Extensions };
}

const OWNER_KEYS = namedKeys(changeOwnerSchema);
const ADMIN_KEYS = namedKeys(modifyAdminSchema);

/** Normalizes `Live.CallbackAfterChangeOwner` (https://trtc.io/document/72553). */
export function normalizeOwnerChanged(
  callback: ChangeOwnerCallback,
  meta: ReceiptMetadata,
): OwnerChangedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(callback.RoomId),
    currentOwnerAccount: idText(callback.CurrentOwner_Account),
    originalOwnerAccount: idText(callback.OriginalOwner_Account),
    operatorAccount: idText(callback.Operator_Account),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, OWNER_KEYS) },
  };
}

/** Normalizes `Live.CallbackAfterModifyAdmin` (https://trtc.io/document/72554). */
export function normalizeAdminChanged(
  callback: ModifyAdminCallback,
  meta: ReceiptMetadata,
): AdminChangedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(callback.RoomId),
    adminAccount: idList(callback.Admin_Account),
    opType: orNull(callback.opType),
    operatorAccount: idText(callback.Operator_Account),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, ADMIN_KEYS) },
  };
}
