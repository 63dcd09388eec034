import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeSign } from '../../src/tencent/signature';

/** The sample body of Tencent's page for Live.CallbackAfterCreateRoom (spec/000_…txt), fixtures/commands/. */
export const SAMPLE_CREATE_ROOM: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', 'fixtures', 'commands', 'Live.CallbackAfterCreateRoom.json'),
    'utf8',
  ),
) as Record<string, unknown>;

export const APP_ID = '1400000001';
export const TOKEN = 'test-callback-token';
export const CREATE_ROOM = 'Live.CallbackAfterCreateRoom';

/** A body like the sample, for another room, with extra fields merged over RoomInfo/top level. */
export function createRoomBody(
  roomId: string,
  extra: { top?: Record<string, unknown>; room?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const room = SAMPLE_CREATE_ROOM.RoomInfo as Record<string, unknown>;
  return {
    ...SAMPLE_CREATE_ROOM,
    ...extra.top,
    RoomInfo: { ...room, RoomId: roomId, ...extra.room },
  };
}

export interface CallbackUrlOptions {
  path?: string;
  appId?: string;
  command?: string;
  token?: string | null;
  nowMs?: number;
  extra?: Record<string, string>;
}

/** The path + query Tencent would call, signed like Tencent signs it (token null: unsigned). */
export function callbackUrl(options: CallbackUrlOptions = {}): string {
  const params = new URLSearchParams({
    SdkAppid: options.appId ?? APP_ID,
    CallbackCommand: options.command ?? CREATE_ROOM,
    contenttype: 'json',
    ClientIP: '203.0.113.7',
    OptPlatform: 'iOS',
  });
  if (options.token !== null) {
    const requestTime = String(Math.floor((options.nowMs ?? Date.now()) / 1000));
    params.set('Sign', computeSign(options.token ?? TOKEN, requestTime));
    params.set('RequestTime', requestTime);
  }
  for (const [key, value] of Object.entries(options.extra ?? {})) params.set(key, value);
  return `${options.path ?? '/webhooks/tencent/live'}?${params.toString()}`;
}
