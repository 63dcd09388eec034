import Joi from 'joi';

/**
 * joi building blocks shared by the command schemas. Validation is lenient where Tencent's pages
 * disagree with their own samples (https://trtc.io/document/64413 and the pages it links): ids
 * may be numbers, times may be numeric strings, only the ids an event cannot do without are
 * required, and every object keeps keys we do not know (`.unknown(true)`), because Tencent adds
 * fields over time.
 */

/** Year 9999 in milliseconds: anything later cannot be written as RFC 3339. */
export const MAX_EPOCH_MS = 253402300799999;
export const MAX_EPOCH_S = Math.floor(MAX_EPOCH_MS / 1000);

/**
 * An id (UserID, room id, …): a non-empty string of at most 256 characters, or an integer.
 * Tencent sends some accounts as 18-digit JSON numbers (e.g. `Owner_Account` in
 * https://trtc.io/document/64423); the JSON parser has already turned those beyond 2^53 into
 * strings holding the exact digits, and the normalizers turn the rest into strings.
 */
export const id = Joi.alternatives().try(Joi.string().max(256), Joi.number().integer());

/**
 * An optional account field: like {@link id}, and the empty string is accepted too (it means
 * "nobody", e.g. an empty seat; normalized to `null`).
 */
export const account = Joi.alternatives().try(
  Joi.string().allow('').max(256),
  Joi.number().integer(),
);

/** Unix milliseconds (`EventTime`): an integer, or a numeric string (converted by joi). */
export const epochMs = Joi.number().integer().min(0).max(MAX_EPOCH_MS);
/** Unix seconds (`CreateTime`, `StartTime`, gift `Time`): an integer or a numeric string. */
export const epochS = Joi.number().integer().min(0).max(MAX_EPOCH_S);
/** A 32-bit count or size (member cap, seat count, index). */
export const count = Joi.number().integer().min(0).max(2_147_483_647);
/** A non-negative integer of any safe size (totals, coins, sequence numbers). */
export const total = Joi.number().integer().min(0);
/** An integer code (enums Tencent sends as numbers). */
export const code = Joi.number().integer();

/** Free text, empty allowed, at most `max` characters. */
export const text = (max: number) => Joi.string().allow('').max(max);

/** A list of at most `max` items. */
export const list = (item: Joi.Schema, max = 10_000) => Joi.array().items(item).max(max);

/** An object whose listed keys are checked and whose other keys are kept. */
export const open = <T = unknown>(keys: Joi.PartialSchemaMap<T>) =>
  Joi.object<T>(keys).unknown(true);

/** An object passed through as Tencent sent it (message content, recording payload). */
export const anyObject = Joi.object().unknown(true);

/** Every callback body: its command, `EventTime` (ms, optional), and any key we do not know. */
export interface TencentCallback {
  CallbackCommand: string;
  EventTime?: number;
  [unknown: string]: unknown;
}

/** The schema of a callback body: `CallbackCommand`, `EventTime` and the command's own keys. */
export const callback = <T extends TencentCallback>(keys: Joi.PartialSchemaMap<T>) =>
  Joi.object<T>({ CallbackCommand: Joi.string().required(), EventTime: epochMs, ...keys }).unknown(
    true,
  );
