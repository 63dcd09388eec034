import type { DelMetadataCallback, SetMetadataCallback } from '../tencent/commands/metadata';
import { delMetadataSchema, setMetadataSchema } from '../tencent/commands/metadata';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idText, objectList, orNull, unknownFields } from './normalize';

export const METADATA_SET_V1 = 'com.tencentcloud.live.metadata.set.v1';
export const METADATA_DELETED_V1 = 'com.tencentcloud.live.metadata.deleted.v1';

/** Data of `metadata.set.v1`; JSON Schema: schemas/com.tencentcloud.live.metadata.set.v1.json. */
export interface MetadataSetV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  roomId: string;
  operatorAccount: string | null;
  metadata: { key: string; value: string | null; extensions: Extensions }[] | null;
  extensions: { callback: Extensions };
}

/** Data of `metadata.deleted.v1`; JSON Schema: schemas/com.tencentcloud.live.metadata.deleted.v1.json. */
export interface MetadataDeletedV1 extends EventTail<'EventTime'> {
  sdkAppId: string;
  roomId: string;
  operatorAccount: string | null;
  keys: string[] | null;
  extensions: { callback: Extensions };
}

const SET_KEYS = namedKeys(setMetadataSchema);
const ITEM_KEYS = namedKeys(setMetadataSchema, 'Metadata', '[]');
const DELETE_KEYS = namedKeys(delMetadataSchema);

/** Normalizes `Live.CallbackAfterSetMetadata` (https://trtc.io/document/68222). */
export function normalizeMetadataSet(
  callback: SetMetadataCallback,
  meta: ReceiptMetadata,
): MetadataSetV1 {
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(callback.RoomId),
    operatorAccount: idText(callback.Operator_Account),
    metadata: objectList(callback.Metadata, ITEM_KEYS, (item) => ({
      key: item.Key,
      value: orNull(item.Value),
    })),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, SET_KEYS) },
  };
}

/** Normalizes `Live.CallbackAfterDelMetadata` (https://trtc.io/document/68223). */
export function normalizeMetadataDeleted(
  callback: DelMetadataCallback,
  meta: ReceiptMetadata,
): MetadataDeletedV1 {
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(callback.RoomId),
    operatorAccount: idText(callback.Operator_Account),
    keys: orNull(callback.Keys),
    ...eventTail(meta, ['EventTime', callback.EventTime, 'ms']),
    extensions: { callback: unknownFields(callback, DELETE_KEYS) },
  };
}
