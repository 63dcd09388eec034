import Joi from 'joi';

/**
 * `Live.CallbackAfterCreateRoom` as Tencent sends it (spec/000_3ebb018bdd34218c.txt, reference
 * §1.4.1). Validation is lenient where the vendor's docs disagree with their samples: only
 * `RoomInfo.RoomId` is required, account ids may be numbers, times may be numeric strings, and
 * unknown keys are kept because Tencent adds fields over time.
 */
export interface CreateRoomCallback {
  CallbackCommand: string;
  Operator_Account?: string | number;
  EventTime?: number;
  RoomInfo: {
    RoomId: string;
    RoomName?: string;
    RoomType?: string;
    Owner_Account?: string | number;
    MaxMemberCount?: number;
    IsMessageDisabled?: boolean;
    CustomInfo?: string;
    IsSeatEnabled?: boolean;
    MaxSeatCount?: number;
    TakeSeatMode?: string;
    CreateTime?: number;
    IsPublicVisible?: boolean;
    CoverURL?: string;
    Category?: number[];
    EventTime?: number;
    [unknown: string]: unknown;
  };
  [unknown: string]: unknown;
}

/** Year 9999 in milliseconds: anything later cannot be written as RFC 3339. */
const MAX_EPOCH_MS = 253402300799999;
const MAX_EPOCH_S = Math.floor(MAX_EPOCH_MS / 1000);

/** An account id: a string, or a number (exact digits as a string when beyond 2^53). */
const account = Joi.alternatives().try(Joi.string().max(256), Joi.number().integer());
/** Integer or numeric string (`EventTime` is a string in some samples), converted to a number. */
const epochMs = Joi.number().integer().min(0).max(MAX_EPOCH_MS);
const epochS = Joi.number().integer().min(0).max(MAX_EPOCH_S);
const count = Joi.number().integer().min(0).max(2_147_483_647);

export const createRoomSchema = Joi.object<CreateRoomCallback>({
  CallbackCommand: Joi.string().required(),
  Operator_Account: account,
  EventTime: epochMs,
  RoomInfo: Joi.object({
    RoomId: Joi.string().min(1).max(256).required(),
    RoomName: Joi.string().allow('').max(1024),
    RoomType: Joi.string().allow('').max(64),
    Owner_Account: account,
    MaxMemberCount: count,
    IsMessageDisabled: Joi.boolean(),
    CustomInfo: Joi.string().allow('').max(16384),
    IsSeatEnabled: Joi.boolean(),
    MaxSeatCount: count,
    TakeSeatMode: Joi.string().allow('').max(64),
    CreateTime: epochS,
    IsPublicVisible: Joi.boolean(),
    CoverURL: Joi.string().allow('').max(4096),
    Category: Joi.array().items(Joi.number().integer()).max(1024),
    EventTime: epochMs,
  })
    .unknown(true)
    .required(),
}).unknown(true);
