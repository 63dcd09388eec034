/**
 * Load generator for the fault tests: a standalone process that streams signed
 * `Live.CallbackAfterCreateRoom` callbacks to a bridge at a steady rate and records every answer.
 *
 *   node --import tsx test/helpers/load-generator.ts '<LoadOptions as JSON>'
 *
 * Modes:
 * - `open` (default): open loop. Request n leaves at start + n/rate seconds whether or not earlier
 *   requests were answered (a request that is late because the process was busy leaves at once).
 *   Room of request n: `<roomPrefix>-<n>`, or `<roomPrefix>-<n % distinct>` with `distinct`, in
 *   which case the same body (same room, same EventTime, so the same event id) is re-delivered.
 * - `sequential`: `keys` independent chains, one per room `<roomPrefix>-k<k>`; a chain sends its
 *   next callback (EventTime one higher) only after the previous one was answered, paced so that
 *   all chains together do not exceed `rate`. One request in flight per key, so the order in
 *   which a key's callbacks were answered OK is the order in which the bridge accepted them.
 *
 * Sending stops after `count` requests, after `durationMs`, or on SIGTERM. Then in-flight requests
 * get up to `graceMs` to be answered (each is also bounded by `requestTimeoutMs`), and a JSON
 * LoadSummary is written to `out` (or stdout). One progress line per second goes to stderr.
 */
import { writeFileSync } from 'node:fs';
import { APP_ID, TOKEN, callbackUrl, createRoomBody } from './tencent';

export interface LoadOptions {
  /** Base URL of the webhook listener, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Callback path (default /webhooks/tencent/live). */
  path?: string;
  /** Requests per second, all keys together. */
  rate: number;
  /** Most requests to send. */
  count: number;
  /** Stop sending after this long (ms). */
  durationMs: number;
  mode?: 'open' | 'sequential';
  /** Sequential mode: number of keys (rooms) sent in parallel chains (default 1). */
  keys?: number;
  /** Room ids start with this; make it unique per run. */
  roomPrefix: string;
  /** Open mode: cycle through this many distinct bodies (re-deliveries of the same callback). */
  distinct?: number;
  /** EventTime (epoch ms) of the first callback (default 1703589922000). */
  eventTimeBase?: number;
  /** Client-side limit of one request (default 5000 ms); a request cut by it is an error. */
  requestTimeoutMs?: number;
  /** How long to wait for in-flight answers once sending stopped (default 5000 ms). */
  graceMs?: number;
  /** Where to write the summary; stdout when absent. */
  out?: string;
  appId?: string;
  token?: string;
}

export interface RequestRecord {
  seq: number;
  room: string;
  /** Epoch ms when the request left. */
  sentAt: number;
  /** Epoch ms when the answer (with its body) was read; undefined if none came. */
  answeredAt?: number;
  latencyMs?: number;
  /** HTTP status, 0 when the request failed without an answer. */
  status: number;
  eventId?: string;
  /** Transport error (code or message), or 'unanswered' when the run ended first. */
  error?: string;
  /** The answer body of a non-200 answer (first 300 chars). */
  body?: string;
}

export interface LoadSummary {
  options: LoadOptions;
  startedAt: number;
  endedAt: number;
  stoppedBy: 'count' | 'duration' | 'SIGTERM';
  sent: number;
  /** Answered with status 200 and an x-event-id. */
  ok: number;
  /** Everything else, by HTTP status, 'error' (no answer) or 'unanswered'. */
  failedByStatus: Record<string, number>;
  /** Over every answered request (any status). */
  maxLatencyMs: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  /** Distinct event ids answered OK, in the order of their first OK. */
  okIds: string[];
  /** Per room: event ids answered OK, in answer order (= acceptance order in sequential mode). */
  okOrderByKey: Record<string, string[]>;
  requests: RequestRecord[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function errorCode(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout';
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    if (cause && typeof cause.code === 'string') return cause.code;
    if (cause && typeof cause.message === 'string') return cause.message;
    return error.message;
  }
  return String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export function summarize(
  options: LoadOptions,
  requests: readonly RequestRecord[],
  startedAt: number,
  stoppedBy: LoadSummary['stoppedBy'],
): LoadSummary {
  const failedByStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const okIds: string[] = [];
  const seenOk = new Set<string>();
  const okOrderByKey: Record<string, string[]> = {};
  let ok = 0;
  const byAnswer = requests
    .filter((r) => r.answeredAt !== undefined)
    .sort((a, b) => a.answeredAt! - b.answeredAt! || a.seq - b.seq);
  for (const r of requests) {
    if (r.latencyMs !== undefined) latencies.push(r.latencyMs);
    if (r.status === 200 && r.eventId) {
      ok += 1;
      continue;
    }
    const label =
      r.status !== 0 ? String(r.status) : r.error === 'unanswered' ? 'unanswered' : 'error';
    failedByStatus[label] = (failedByStatus[label] ?? 0) + 1;
  }
  for (const r of byAnswer) {
    if (r.status !== 200 || !r.eventId) continue;
    if (!seenOk.has(r.eventId)) {
      seenOk.add(r.eventId);
      okIds.push(r.eventId);
    }
    (okOrderByKey[r.room] ??= []).push(r.eventId);
  }
  latencies.sort((a, b) => a - b);
  return {
    options,
    startedAt,
    endedAt: Date.now(),
    stoppedBy,
    sent: requests.length,
    ok,
    failedByStatus,
    maxLatencyMs: latencies.length ? latencies[latencies.length - 1]! : 0,
    p50LatencyMs: percentile(latencies, 0.5),
    p99LatencyMs: percentile(latencies, 0.99),
    okIds,
    okOrderByKey,
    requests: [...requests].sort((a, b) => a.seq - b.seq),
  };
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: load-generator.ts <json options>');
  const options = JSON.parse(raw) as LoadOptions;
  if (!(options.rate > 0) || !(options.count > 0) || !(options.durationMs > 0)) {
    throw new Error('rate, count and durationMs must be positive');
  }
  const mode = options.mode ?? 'open';
  const keys = Math.max(1, options.keys ?? 1);
  const eventTimeBase = options.eventTimeBase ?? 1703589922000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  const graceMs = options.graceMs ?? 5000;
  const base = options.url.replace(/\/$/, '');

  const requests: RequestRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopping: LoadSummary['stoppedBy'] | undefined;
  let wakeUp: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wakeUp = resolve));
  const stop = (why: LoadSummary['stoppedBy']): void => {
    if (stopping) return;
    stopping = why;
    wakeUp();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  const startedAt = Date.now();
  const durationTimer = setTimeout(() => stop('duration'), options.durationMs);

  /** Bodies are serialized once per (room, EventTime): a re-delivery sends identical bytes. */
  const bodies = new Map<string, string>();
  function bodyFor(room: string, eventTime: number): string {
    const cacheKey = `${room}\u0000${eventTime}`;
    let body = bodies.get(cacheKey);
    if (body === undefined) {
      body = JSON.stringify(createRoomBody(room, { top: { EventTime: eventTime } }));
      bodies.set(cacheKey, body);
    }
    return body;
  }

  async function send(seq: number, room: string, eventTime: number): Promise<void> {
    const record: RequestRecord = { seq, room, sentAt: Date.now(), status: 0 };
    requests.push(record);
    const url =
      base +
      callbackUrl({
        path: options.path ?? '/webhooks/tencent/live',
        appId: options.appId ?? APP_ID,
        token: options.token ?? TOKEN,
      });
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodyFor(room, eventTime),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const text = await response.text();
      record.answeredAt = Date.now();
      record.latencyMs = record.answeredAt - record.sentAt;
      record.status = response.status;
      const eventId = response.headers.get('x-event-id');
      if (eventId) record.eventId = eventId;
      if (response.status !== 200) record.body = text.slice(0, 300);
    } catch (error) {
      record.error = errorCode(error);
    }
  }

  function track(promise: Promise<void>): void {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  }

  const progress = setInterval(() => {
    const answered = requests.filter((r) => r.answeredAt !== undefined);
    process.stderr.write(
      JSON.stringify({
        t: Date.now() - startedAt,
        sent: requests.length,
        ok: answered.filter((r) => r.status === 200).length,
        notOk: answered.filter((r) => r.status !== 200).length,
        errors: requests.filter((r) => r.error !== undefined).length,
        inFlight: inFlight.size,
      }) + '\n',
    );
  }, 1000);

  let seq = 0;
  if (mode === 'open') {
    const interval = 1000 / options.rate;
    while (!stopping) {
      if (seq >= options.count) {
        stop('count');
        break;
      }
      const due = startedAt + seq * interval;
      const wait = due - Date.now();
      if (wait > 0) {
        await Promise.race([sleep(wait), stopped]);
        continue;
      }
      const index = options.distinct ? seq % options.distinct : seq;
      track(send(seq, `${options.roomPrefix}-${index}`, eventTimeBase + index));
      seq += 1;
    }
  } else {
    // Each chain gets rate/keys; chain k starts k/rate seconds after chain 0.
    const interval = (1000 * keys) / options.rate;
    const chain = async (k: number): Promise<void> => {
      for (let i = 0; !stopping; i++) {
        const wait = startedAt + k * (1000 / options.rate) + i * interval - Date.now();
        if (wait > 0) await Promise.race([sleep(wait), stopped]);
        if (stopping) break;
        if (seq >= options.count) {
          stop('count');
          break;
        }
        const mine = seq++;
        const request = send(mine, `${options.roomPrefix}-k${k}`, eventTimeBase + i);
        track(request);
        await request;
      }
    };
    await Promise.all(Array.from({ length: keys }, (_, k) => chain(k)));
  }
  clearTimeout(durationTimer);

  // Let in-flight requests finish (each is bounded by requestTimeoutMs anyway).
  const graceOver = sleep(graceMs);
  await Promise.race([Promise.all([...inFlight]), graceOver]);
  clearInterval(progress);
  for (const r of requests) {
    if (r.answeredAt === undefined && r.error === undefined) r.error = 'unanswered';
  }
  const summary = summarize(options, requests, startedAt, stopping ?? 'count');
  const text = JSON.stringify(summary);
  if (options.out) writeFileSync(options.out, text);
  else process.stdout.write(text + '\n');
  process.exit(0);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `load-generator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(2);
  });
}
