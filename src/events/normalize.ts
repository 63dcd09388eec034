import { deterministicId } from './cloudevents';
import { isoTime } from './time';

/** What the bridge knows about a callback besides its body. */
export interface ReceiptMetadata {
  sdkAppId: string;
  command: string;
  receivedAtMs: number;
  clientIp: string | undefined;
  optPlatform: string | undefined;
  /** The raw body: the id falls back to its hash when the callback carries no times. */
  rawBody: Buffer;
}

/**
 * The members every v1 event's data ends with, in this order: when it happened (and which input
 * said so), when and from where the bridge received it.
 */
export interface EventTail<Source extends string> {
  eventTime: string;
  eventTimeSource: Source | 'receivedAt';
  receivedAt: string;
  clientIp: string | null;
  optPlatform: string | null;
}

/** The data of every v1 event: the app first, then its own fields, then {@link EventTail}. */
export interface EventData extends EventTail<string> {
  sdkAppId: string;
}

/**
 * An id as a string, digit for digit (numbers beyond 2^53 arrive as digit strings from the JSON
 * parser, smaller ones are written out here); `null` when absent or empty ("nobody").
 */
export const idText = (value: string | number | undefined): string | null =>
  value === undefined || value === '' ? null : String(value);

/** A list of ids as strings; `null` when absent. */
export const idList = (values: readonly (string | number)[] | undefined): string[] | null =>
  values === undefined ? null : values.map(String);

/** A field Tencent may leave out: the value as sent, or `null` (every v1 field is present). */
export const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** Unix seconds as RFC 3339 with milliseconds (`2023-12-26T11:25:22.000Z`). */
export const isoSeconds = (seconds: number | undefined): string | null =>
  seconds === undefined ? null : isoTime(seconds * 1000);

/** Unix milliseconds as RFC 3339. */
export const isoMillis = (ms: number | undefined): string | null =>
  ms === undefined ? null : isoTime(ms);

/** The fields of `source` that are not in `known`, exactly as sent (the `extensions` of v1). */
export function unknownFields(source: object | undefined, known: ReadonlySet<string>): Extensions {
  const rest: Extensions = {};
  if (source === undefined) return rest;
  for (const [key, value] of Object.entries(source)) if (!known.has(key)) rest[key] = value;
  return rest;
}

/** Unknown fields of a Tencent object, kept in the v1 object that mirrors it. */
export type Extensions = Record<string, unknown>;

/** A Tencent object as a v1 object: `map` names the known fields, the rest go to `extensions`. */
export function objectOf<T extends object, R>(
  item: T,
  known: ReadonlySet<string>,
  map: (item: T) => R,
): R & { extensions: Extensions } {
  return { ...map(item), extensions: unknownFields(item, known) };
}

/** A list of Tencent objects as v1 objects ({@link objectOf}); `null` when the list is absent. */
export function objectList<T extends object, R>(
  list: readonly T[] | undefined,
  known: ReadonlySet<string>,
  map: (item: T) => R,
): (R & { extensions: Extensions })[] | null {
  return list === undefined ? null : list.map((item) => objectOf(item, known, map));
}

/** One input that may give an event its time: where it was (for `eventTimeSource`), its unit. */
export type TimeCandidate<Source extends string> = readonly [
  source: Source,
  value: number | undefined,
  unit: 'ms' | 's',
];

/**
 * The event time: the first candidate Tencent sent (callers list `EventTime` first, then where
 * else the vendor puts it: inside the nested object, or a time of the event itself), else the
 * receipt time. Returns the data's closing members, {@link EventTail}.
 */
export function eventTail<Source extends string>(
  meta: ReceiptMetadata,
  ...candidates: readonly TimeCandidate<Source>[]
): EventTail<Source> {
  let ms = meta.receivedAtMs;
  let source: Source | 'receivedAt' = 'receivedAt';
  for (const [name, value, unit] of candidates) {
    if (value === undefined) continue;
    ms = unit === 's' ? value * 1000 : value;
    source = name;
    break;
  }
  return {
    eventTime: isoTime(ms),
    eventTimeSource: source,
    receivedAt: isoTime(meta.receivedAtMs),
    clientIp: orNull(meta.clientIp),
    optPlatform: orNull(meta.optPlatform),
  };
}

/** JSON with object keys sorted at every level: the same content always gives the same text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    const members = Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson(object[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The CloudEvents id of an event from what it says: 32 hex characters of SHA-256 over the app,
 * the type and the data without how it was received (receipt time, client IP, platform, and the
 * event time when it is only the receipt time). A re-delivered callback gets the same id
 * whatever its receipt time, key order or number spelling of ids; two callbacks that differ in
 * any field get different ids. `extra` adds parts (e.g. the receipt time of before-callbacks,
 * which Tencent never re-sends, so two identical requests are two user actions).
 */
export function contentId(type: string, data: EventData, extra: readonly string[] = []): string {
  const identity: Partial<EventData> = { ...data };
  delete identity.receivedAt;
  delete identity.clientIp;
  delete identity.optPlatform;
  if (data.eventTimeSource === 'receivedAt') delete identity.eventTime;
  return deterministicId([data.sdkAppId, type, stableJson(identity), ...extra]);
}
