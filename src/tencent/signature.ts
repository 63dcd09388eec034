import { hash, timingSafeEqual } from 'node:crypto';
import { CallbackRejectedError } from '../errors';

/**
 * Tencent's callback signature: lowercase hex SHA-256 of the token followed by `RequestTime`
 * as it appears in the URL (no separator, not an HMAC). Reference §2.
 */
export function computeSign(token: string, requestTime: string): string {
  return hash('sha256', token + requestTime, 'hex');
}

/** The binary digests of `computeSign` for each token, in the order of the tokens. */
function digestsOf(tokens: readonly string[], requestTime: string): Buffer[] {
  return tokens.map((token) => hash('sha256', token + requestTime, 'buffer'));
}

const SIGN = /^[0-9a-fA-F]{64}$/;
const UNIX_SECONDS = /^[0-9]{1,12}$/;

export interface SignatureCheck {
  /** Current token first, then tokens still accepted during a rotation. */
  tokens: readonly string[];
  sign: string | undefined;
  requestTime: string | undefined;
  nowMs: number;
  /** Requests older or newer than this many seconds are replays or badly skewed clocks. */
  windowSeconds: number;
  /** The expected digests of `tokens` by RequestTime, when the caller keeps them (see below). */
  expected?: ExpectedSigns;
}

/** The SHA-256 digest of each token with a given RequestTime, in the order of the tokens. */
export type ExpectedSigns = (requestTime: string) => readonly Buffer[];

const CACHED_TIMES = 512;

/**
 * Expected digests of one app's tokens, kept per RequestTime. Tencent signs with the time in
 * whole seconds, so every callback of the same second carries the same Sign: one hash per token
 * per second instead of per request. Only times inside the window reach the hash (expired ones
 * are refused first), so the table stays small; it is emptied if it ever reaches 512 times.
 */
export function expectedSigns(tokens: readonly string[]): ExpectedSigns {
  const byTime = new Map<string, readonly Buffer[]>();
  return (requestTime) => {
    let digests = byTime.get(requestTime);
    if (digests === undefined) {
      if (byTime.size >= CACHED_TIMES) byTime.clear();
      digests = digestsOf(tokens, requestTime);
      byTime.set(requestTime, digests);
    }
    return digests;
  };
}

/**
 * Verifies `Sign` and `RequestTime` against the app's tokens, in constant time per token.
 * @throws CallbackRejectedError `SIGNATURE_MISSING`, `SIGNATURE_MALFORMED`, `SIGNATURE_EXPIRED`
 * or `SIGNATURE_MISMATCH`.
 */
export function verifySignature(check: SignatureCheck): void {
  const { sign, requestTime } = check;
  if (sign === undefined || requestTime === undefined) {
    throw new CallbackRejectedError('SIGNATURE_MISSING', 'Sign and RequestTime are required');
  }
  if (!SIGN.test(sign) || !UNIX_SECONDS.test(requestTime)) {
    throw new CallbackRejectedError('SIGNATURE_MALFORMED', 'Sign or RequestTime is malformed');
  }
  // Whole seconds on both sides: Tencent truncates RequestTime, so compare like with like.
  const skewSeconds = Math.abs(Math.floor(check.nowMs / 1000) - Number(requestTime));
  if (skewSeconds > check.windowSeconds) {
    throw new CallbackRejectedError('SIGNATURE_EXPIRED', 'RequestTime is outside the window');
  }
  const given = Buffer.from(sign, 'hex');
  let matched = false;
  // Every token is compared, so the time taken does not tell which one matched.
  const digests = check.expected?.(requestTime) ?? digestsOf(check.tokens, requestTime);
  for (const expected of digests) if (timingSafeEqual(given, expected)) matched = true;
  if (!matched) {
    throw new CallbackRejectedError('SIGNATURE_MISMATCH', 'Sign does not match');
  }
}
