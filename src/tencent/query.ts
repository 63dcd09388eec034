import { CallbackRejectedError } from '../errors';

/** The query parameters Tencent appends to the callback URL (reference §1.2, §2). */
export interface CallbackQuery {
  sdkAppId: string;
  command: string;
  /** Tencent sends `json`; absent is tolerated. */
  contentType: string | undefined;
  clientIp: string | undefined;
  optPlatform: string | undefined;
  /** Present only when the app's callback token is switched on. */
  sign: string | undefined;
  /** Unix seconds exactly as sent: the signature covers this text, not a parsed number. */
  requestTime: string | undefined;
}

/**
 * A parsed query string as hapi gives it in `request.query` (Node's `querystring.parse`): a name
 * given more than once maps to all its values.
 */
export type QueryParams = Readonly<Record<string, string | readonly string[] | undefined>>;

const MAX_PARAM_LENGTH = 256;
const SDK_APP_ID = /^[0-9]{1,20}$/;
const COMMAND = /^[A-Za-z]{1,32}\.[A-Za-z]{1,96}$/;

/**
 * Reads one parameter by its documented name, falling back to a case-insensitive match because
 * Tencent's pages spell `SdkAppid` several ways. A name given twice with different values is
 * refused: the signature does not cover the query, so ambiguity is not resolved in anyone's favour.
 */
function param(params: QueryParams, name: string): string | undefined {
  let found = params[name];
  if (found === undefined) {
    const lower = name.toLowerCase();
    const values: string[] = [];
    for (const key in params) {
      if (key.toLowerCase() !== lower) continue;
      const value = params[key];
      if (typeof value === 'string') values.push(value);
      else if (value) values.push(...value);
    }
    found = values;
  }
  const first = typeof found === 'string' ? found : found[0];
  if (first === undefined) return undefined;
  if (typeof found !== 'string' && found.some((value) => value !== first)) {
    throw new CallbackRejectedError('QUERY_INVALID', `${name} is given more than once`);
  }
  if (first.length > MAX_PARAM_LENGTH) {
    throw new CallbackRejectedError('QUERY_INVALID', `${name} is too long`);
  }
  return first;
}

function optional(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Parses the callback query string.
 * @throws CallbackRejectedError `QUERY_INVALID` when `SdkAppid` or `CallbackCommand` is missing
 * or malformed.
 */
export function parseCallbackQuery(params: QueryParams): CallbackQuery {
  const sdkAppId = param(params, 'SdkAppid');
  if (sdkAppId === undefined || !SDK_APP_ID.test(sdkAppId)) {
    throw new CallbackRejectedError('QUERY_INVALID', 'SdkAppid is missing or not a number');
  }
  const command = param(params, 'CallbackCommand');
  if (command === undefined || !COMMAND.test(command)) {
    throw new CallbackRejectedError('QUERY_INVALID', 'CallbackCommand is missing or malformed');
  }
  return {
    sdkAppId,
    command,
    contentType: optional(param(params, 'contenttype')),
    clientIp: optional(param(params, 'ClientIP')),
    optPlatform: optional(param(params, 'OptPlatform')),
    sign: optional(param(params, 'Sign')),
    requestTime: optional(param(params, 'RequestTime')),
  };
}
