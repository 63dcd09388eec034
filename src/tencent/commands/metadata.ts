import Joi from 'joi';
import type { TencentCallback } from './fields';
import { account, callback, id, list, open, text } from './fields';

/** `Live.CallbackAfterSetMetadata` (https://trtc.io/document/68222): room metadata set. */
export interface SetMetadataCallback extends TencentCallback {
  RoomId: string | number;
  Operator_Account?: string | number;
  Metadata?: { Key: string; Value?: string; [unknown: string]: unknown }[];
}

export const setMetadataSchema = callback<SetMetadataCallback>({
  RoomId: id.required(),
  Operator_Account: account,
  Metadata: list(open({ Key: Joi.string().max(1024).required(), Value: text(65536) })),
});

/**
 * `Live.CallbackAfterDelMetadata` (https://trtc.io/document/68223; its parameter table wrongly
 * names the command `Live.CallbackAfterSetMetadata`, its sample and the command list do not).
 */
export interface DelMetadataCallback extends TencentCallback {
  RoomId: string | number;
  Operator_Account?: string | number;
  Keys?: string[];
}

export const delMetadataSchema = callback<DelMetadataCallback>({
  RoomId: id.required(),
  Operator_Account: account,
  Keys: list(text(1024)),
});
