/**
 * The requests the benchmarks send, posted to the callback path with a query signed the way
 * Tencent signs it: `Sign = sha256hex(token + RequestTime)`. Signing is implemented here on
 * purpose (not imported from src/), so the benchmark does not trust the code it measures.
 *
 * - `create-room`: Tencent's sample `Live.CallbackAfterCreateRoom` body
 *   (fixtures/commands/) with a unique `RoomInfo.RoomId` per request.
 * - `mixed`: traffic shaped like a busy Live app ({@link MIX}): member-state changes dominate,
 *   then seats and metadata, rare room creations and destructions; each the vendor's sample
 *   (fixtures/commands/) with a unique room id per request.
 *
 * A unique room id per request matters: the event id is derived from what the callback says, and
 * the bridge answers a repeated id as a duplicate without producing to Kafka.
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
const FIXTURES = join(REPO_ROOT, 'fixtures', 'commands');

export type PayloadKind = 'create-room' | 'mixed';

/**
 * The mixed load: each command's share of 100 requests. Members entering, leaving and their
 * heartbeats outnumber everything else in a live room; seats change as hosts invite guests;
 * metadata carries room state; rooms are created and destroyed rarely.
 */
export const MIX: readonly (readonly [command: string, share: number])[] = [
  ['Live.CallbackAfterMemberStateChanged', 64],
  ['Mic.CallbackAfterSeatInfoChanged', 16],
  ['Live.CallbackAfterSetMetadata', 8],
  ['Live.CallbackAfterDelMetadata', 4],
  ['Live.CallbackAfterUpdateRoomInfo', 4],
  [CREATE_ROOM, 2],
  ['Live.CallbackAfterDestroyRoom', 2],
];

const MARK = '__BENCH_ROOM_ID__';

/** A command's sample body with a placeholder room id, split around it once. */
function bodyTemplate(command: string): [string, string] {
  const file = join(FIXTURES, `${command}.json`);
  const sample = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const room = sample.RoomInfo as Record<string, unknown> | undefined;
  // create-room and update-room-info carry the room id in RoomInfo, the others at the top
  const body =
    command === CREATE_ROOM || command === 'Live.CallbackAfterUpdateRoomInfo'
      ? { ...sample, RoomInfo: { ...room, RoomId: MARK } }
      : { ...sample, RoomId: MARK };
  const [head, tail] = JSON.stringify(body).split(`"${MARK}"`);
  if (head === undefined || tail === undefined) throw new Error(`${command}: no room id`);
  return [head, tail];
}

/** 100 commands in the proportions of MIX, spread out (a fixed order, so runs compare). */
function mixCycle(): string[] {
  const slots: { command: string; at: number }[] = [];
  for (const [command, share] of MIX) {
    for (let i = 0; i < share; i++) slots.push({ command, at: (i + 0.5) / share });
  }
  return slots.sort((a, b) => a.at - b.at).map((slot) => slot.command);
}

export interface Payload {
  /** The next request for room `roomId` (ids must be JSON-safe: [A-Za-z0-9_-]). */
  next(roomId: string, nowMs?: number): { path: string; body: string };
}

export function createPayload(
  options: { appId?: string; token?: string; path?: string; kind?: PayloadKind } = {},
): Payload {
  const appId = options.appId ?? BENCH_APP_ID;
  const token = options.token ?? BENCH_TOKEN;
  const path = options.path ?? CALLBACK_PATH;
  const cycle = options.kind === 'mixed' ? mixCycle() : [CREATE_ROOM];
  const templates = new Map([...new Set(cycle)].map((command) => [command, bodyTemplate(command)]));
  let sent = 0;
  let cachedSecond = -1;
  const paths = new Map<string, string>();
  /** Path plus a query signed for the current second (recomputed once per second). */
  function signedPath(command: string, nowMs: number): string {
    const second = Math.floor(nowMs / 1000);
    if (second !== cachedSecond) {
      const requestTime = String(second);
      const sign = createHash('sha256')
        .update(token + requestTime, 'utf8')
        .digest('hex');
      for (const name of templates.keys()) {
        const query = new URLSearchParams({
          SdkAppid: appId,
          CallbackCommand: name,
          contenttype: 'json',
          ClientIP: '203.0.113.7',
          OptPlatform: 'RESTAPI',
          Sign: sign,
          RequestTime: requestTime,
        });
        paths.set(name, `${path}?${query.toString()}`);
      }
      cachedSecond = second;
    }
    return paths.get(command)!;
  }
  return {
    next(roomId, nowMs = Date.now()) {
      const command = cycle[sent++ % cycle.length]!;
      const [head, tail] = templates.get(command)!;
      return { path: signedPath(command, nowMs), body: `${head}"${roomId}"${tail}` };
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
