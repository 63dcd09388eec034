import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { COMMAND_NAMES } from '../pipeline/command-table';
import { SAMPLE_NAMES, sampleText } from '../tencent/samples';
import { computeSign } from '../tencent/signature';

/** What `send` was asked to post, before it is signed. */
export interface SendInput {
  /** The raw body, sent byte for byte. */
  body: Buffer;
  /** `CallbackCommand` for the query (from the body unless given). */
  command: string;
  /** Where the body came from, for the report. */
  source: string;
}

/** A `send` input that cannot be used: unknown fixture, unreadable file, no command. */
export class SendInputError extends Error {
  override readonly name = 'SendInputError';
  readonly code = 'SEND_INPUT_INVALID';
}

const ROOM_ID = /("RoomId"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

/** A room id no earlier `send` used, so the event is new to the bridge's dedupe. */
export function freshRoomId(): string {
  return `cli-${randomBytes(6).toString('hex')}`;
}

/**
 * Sets every `"RoomId": "…"` of a body to `roomId` by text replacement, so every other byte
 * (18-digit numbers, key order, spacing) stays as it was.
 */
export function withRoomId(body: string, roomId: string): string {
  return body.replace(ROOM_ID, (_match, prefix: string) => `${prefix}${JSON.stringify(roomId)}`);
}

function commandOf(body: Buffer, source: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new SendInputError(`${source} is not JSON: give the command with --command`);
  }
  const command = (parsed as { CallbackCommand?: unknown } | null)?.CallbackCommand;
  if (typeof command !== 'string' || command === '') {
    throw new SendInputError(`${source} has no CallbackCommand: give it with --command`);
  }
  return command;
}

/** Whether `send` takes `name` as a fixture: a short name or any command name of the table. */
function isFixture(name: string): boolean {
  return SAMPLE_NAMES.has(name) || COMMAND_NAMES.includes(name);
}

function readInput(what: string, readStdin: () => Buffer): Buffer {
  if (what === '-') return readStdin();
  try {
    return readFileSync(what);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SendInputError(
      code === 'ENOENT'
        ? `${what} is neither a fixture (${[...SAMPLE_NAMES.keys()].join(', ')}) nor a file`
        : `cannot read ${what}: ${code ?? String(error)}`,
    );
  }
}

/**
 * Resolves `send`'s positional argument: nothing (the create-room sample with a fresh room id),
 * a fixture name (`create-room`, or any command name of the command table), `-` (stdin) or a
 * file. `roomId` replaces the room ids of the body.
 * @throws SendInputError.
 */
export function resolveSendInput(options: {
  what: string | undefined;
  command?: string | undefined;
  roomId?: string | undefined;
  readStdin: () => Buffer;
}): SendInput {
  const what = options.what ?? 'create-room';
  const source = what === '-' ? 'stdin' : isFixture(what) ? `fixture ${what}` : what;
  let body = isFixture(what) ? Buffer.from(sampleText(what)) : readInput(what, options.readStdin);
  const roomId = options.roomId ?? (options.what === undefined ? freshRoomId() : undefined);
  if (roomId !== undefined) body = Buffer.from(withRoomId(body.toString('utf8'), roomId));
  return { body, command: options.command ?? commandOf(body, source), source };
}

/** How to sign, including the deliberate mistakes that test a deployment's refusals. */
export interface SigningOptions {
  appId: string;
  token: string;
  command: string;
  /** Unix seconds for `RequestTime`. */
  nowSeconds: number;
  /** Seconds to move `RequestTime` by (negative: in the past; a stale request). */
  timeOffsetSeconds?: number;
  /** Sign with a token that is not `token`. */
  wrongSignature?: boolean;
  /** Send no `Sign` and `RequestTime` at all. */
  unsigned?: boolean;
}

/**
 * The callback URL exactly as Tencent builds it: `SdkAppid`, `CallbackCommand`,
 * `contenttype=json`, `ClientIP`, `OptPlatform`, then `Sign` = sha256(token + RequestTime) and
 * `RequestTime` in whole seconds (https://trtc.io/document/34354). Any query of `url` is kept.
 */
export function signedUrl(url: string, signing: SigningOptions): URL {
  const target = new URL(url);
  target.searchParams.set('SdkAppid', signing.appId);
  target.searchParams.set('CallbackCommand', signing.command);
  target.searchParams.set('contenttype', 'json');
  target.searchParams.set('ClientIP', '127.0.0.1');
  target.searchParams.set('OptPlatform', 'CLI');
  if (signing.unsigned !== true) {
    const requestTime = String(Math.floor(signing.nowSeconds + (signing.timeOffsetSeconds ?? 0)));
    const token = signing.wrongSignature === true ? `${signing.token}-wrong` : signing.token;
    target.searchParams.set('Sign', computeSign(token, requestTime));
    target.searchParams.set('RequestTime', requestTime);
  }
  return target;
}

/** What the bridge answered. */
export interface SendResult {
  status: number;
  body: string;
  eventId: string | undefined;
}

/**
 * POSTs a signed callback and reads the answer.
 * @throws Error (from fetch) when the URL cannot be reached or `timeoutMs` passes.
 */
export async function postCallback(url: URL, body: Buffer, timeoutMs: number): Promise<SendResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new Uint8Array(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return {
    status: response.status,
    body: await response.text(),
    eventId: response.headers.get('x-event-id') ?? undefined,
  };
}
