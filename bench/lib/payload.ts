/**
 * The one request every benchmark sends: Tencent's sample `Live.CallbackAfterCreateRoom` body
 * (test/fixtures/create-room.json) with a unique `RoomInfo.RoomId` per request, posted to the
 * callback path with a query signed the way Tencent signs it: `Sign = sha256hex(token +
 * RequestTime)`. Signing is implemented here on purpose (not imported from src/), so the
 * benchmark does not trust the code it measures.
 *
 * A unique room id per request matters: the event id is derived from app, command, room and
 * times, and the bridge answers a repeated id as a duplicate without producing to Kafka.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BENCH_APP_ID = '1400000001';
export const BENCH_TOKEN = 'bench-callback-token';
export const CALLBACK_PATH = '/webhooks/tencent/live';
export const CREATE_ROOM = 'Live.CallbackAfterCreateRoom';
/** The bridge's answer to an accepted callback, byte for byte. */
export const OK_ANSWER = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';

export const REPO_ROOT = join(__dirname, '..', '..');
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'create-room.json');

const MARK = '__BENCH_ROOM_ID__';

/** The sample body with a placeholder room id, split around it once. */
function bodyTemplate(): [string, string] {
  const sample = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
  const room = sample.RoomInfo as Record<string, unknown>;
  const text = JSON.stringify({ ...sample, RoomInfo: { ...room, RoomId: MARK } });
  const [head, tail] = text.split(`"${MARK}"`);
  if (head === undefined || tail === undefined) throw new Error('fixture has no RoomInfo');
  return [head, tail];
}

export interface Payload {
  /** JSON body for room `roomId` (ids must be JSON-safe: [A-Za-z0-9_-]). */
  body(roomId: string): string;
  /** Path plus a query signed for the current second (recomputed once per second). */
  signedPath(nowMs?: number): string;
}

export function createPayload(
  options: { appId?: string; token?: string; path?: string } = {},
): Payload {
  const appId = options.appId ?? BENCH_APP_ID;
  const token = options.token ?? BENCH_TOKEN;
  const path = options.path ?? CALLBACK_PATH;
  const [head, tail] = bodyTemplate();
  let cachedSecond = -1;
  let cachedPath = '';
  return {
    body: (roomId) => `${head}"${roomId}"${tail}`,
    signedPath(nowMs = Date.now()) {
      const second = Math.floor(nowMs / 1000);
      if (second !== cachedSecond) {
        const requestTime = String(second);
        const sign = createHash('sha256')
          .update(token + requestTime, 'utf8')
          .digest('hex');
        const query = new URLSearchParams({
          SdkAppid: appId,
          CallbackCommand: CREATE_ROOM,
          contenttype: 'json',
          ClientIP: '203.0.113.7',
          OptPlatform: 'RESTAPI',
          Sign: sign,
          RequestTime: requestTime,
        });
        cachedPath = `${path}?${query.toString()}`;
        cachedSecond = second;
      }
      return cachedPath;
    },
  };
}

/** Percentile (0–100) of an ascending array, nearest rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const round = (value: number, digits = 2): number => {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
